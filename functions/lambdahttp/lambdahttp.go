// Package lambdahttp adapts API Gateway HTTP API events (payload format
// 2.0) to a plain http.Handler, so the Lambda runs the very router the
// local server runs.
package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Handler returns the Lambda handler function for h.
func Handler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := Request(ctx, ev)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"},
				Body: `{"error":{"code":"bad_request","message":"malformed request event"}}`}, nil
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		out := Response(rec.Result().StatusCode, rec.Header(), rec.Body.Bytes())
		if n := size(out); n > MaxResponse {
			return tooLarge(n, rec.Header()), nil
		}
		return out, nil
	}
}

// MaxResponse is what API Gateway accepts from a Lambda: 6 MB for the
// whole response (headers and the body as sent, base64 included). Answers
// are compressed before this check, so a 1,000-pod page (≈1.3 MB of
// JSON) travels as ≈0.1 MB; past the limit the client gets a clear 502
// instead of API Gateway's bare "Internal Server Error".
const MaxResponse = 6 << 20

func size(r events.APIGatewayV2HTTPResponse) int {
	n := len(r.Body)
	for k, v := range r.Headers {
		n += len(k) + len(v) + 4
	}
	for _, c := range r.Cookies {
		n += len(c) + 4
	}
	return n
}

func tooLarge(n int, h http.Header) events.APIGatewayV2HTTPResponse {
	headers := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
	for _, k := range []string{"X-Request-Id", "Vary", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
		if v := h.Values(k); len(v) > 0 {
			headers[http.CanonicalHeaderKey(k)] = strings.Join(v, ", ")
		}
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "response_too_large",
		"message":    fmt.Sprintf("the answer is %.1f MB as sent, over the %d MB a Lambda behind API Gateway may return: ask for less (a smaller limit, fewer rows or a shorter range)", float64(n)/(1<<20), MaxResponse>>20),
		"request_id": h.Get("X-Request-Id")}})
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadGateway, Headers: headers, Body: string(body)}
}

// Request builds the http.Request an event describes. The client address
// is API Gateway's sourceIp, never a header.
func Request(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, err
		}
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	u := &url.URL{Path: path, RawQuery: ev.RawQueryString}
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.ContentLength = int64(len(body))
	r.Host = ev.RequestContext.DomainName
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP + ":0"
	r.RequestURI = u.RequestURI()
	return r, nil
}

// Response converts a recorded response; bodies that are not UTF-8 text
// (Parquet downloads, anything compressed) travel base64-encoded.
func Response(status int, h http.Header, body []byte) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{}}
	for k, v := range h {
		if strings.EqualFold(k, "Set-Cookie") {
			out.Cookies = append(out.Cookies, v...)
			continue
		}
		out.Headers[k] = strings.Join(v, ", ")
	}
	ct := h.Get("Content-Type")
	text := strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "yaml")
	// A compressed body is binary whatever its type says.
	if text && h.Get("Content-Encoding") == "" && utf8.Valid(body) {
		out.Body = string(body)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return out
}
