package lambdahttp_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/atlhyper/atlhyper/functions/lambdahttp"
)

func TestAdapter(t *testing.T) {
	var seen *http.Request
	var body []byte
	h := lambdahttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Add("Vary", "Origin")
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Set-Cookie", "a=1")
		if r.URL.Path == "/bin" {
			w.Header().Set("Content-Type", "application/vnd.apache.parquet")
			w.Write([]byte{'P', 'A', 'R', '1', 0, 0xff})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		w.Write([]byte(`{"ok":true}`))
	}))
	resp, err := h(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/api/v1/x%2Fy", RawQueryString: "a=1&b=%20",
		Headers: map[string]string{"authorization": "Bearer t", "x-forwarded-for": "6.6.6.6"}, Body: base64.StdEncoding.EncodeToString([]byte(`{"k":1}`)), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "198.51.100.9"}}})
	if err != nil || resp.StatusCode != 201 || resp.Body != `{"ok":true}` || resp.IsBase64Encoded {
		t.Fatalf("%+v %v", resp, err)
	}
	if seen.Method != "POST" || seen.URL.Query().Get("b") != " " || seen.Header.Get("Authorization") != "Bearer t" || string(body) != `{"k":1}` {
		t.Fatalf("request: %s %v %s", seen.Method, seen.URL, body)
	}
	if seen.RemoteAddr != "198.51.100.9:0" {
		t.Fatalf("client address from the event, not a header: %s", seen.RemoteAddr)
	}
	if resp.Headers["Vary"] != "Origin, Accept" || len(resp.Cookies) != 1 {
		t.Fatalf("headers: %v cookies %v", resp.Headers, resp.Cookies)
	}
	resp, _ = h(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/bin", RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
	if data, _ := base64.StdEncoding.DecodeString(resp.Body); !resp.IsBase64Encoded || string(data[:4]) != "PAR1" {
		t.Fatalf("binary: %+v", resp)
	}
	resp, _ = h(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/x", Body: "!!", IsBase64Encoded: true})
	if resp.StatusCode != 400 {
		t.Fatalf("bad base64: %d", resp.StatusCode)
	}
}
