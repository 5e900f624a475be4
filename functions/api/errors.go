package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// apiError is an error with its HTTP answer.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Field      string
	RetryAfter int
	// Extra adds members to the error object (e.g. a command's state).
	Extra map[string]any
	cause error
}

func (e *apiError) Error() string { return e.Message }
func (e *apiError) Unwrap() error { return e.cause }

func badParam(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_parameter", Field: field, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

var (
	errUnauthorized = &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "authentication required: send Authorization: Bearer <access token>"}
	errForbidden    = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "your role does not allow this"}
	errAudit        = &apiError{Status: http.StatusServiceUnavailable, Code: "audit_unavailable", Message: "the audit record could not be written; try again", RetryAfter: 5}
)

type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Field     string `json:"field,omitempty"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// classify maps an error from below to its HTTP answer. sqlErr marks
// errors from a user's own SQL, which are the user's to fix (400).
func classify(err error, sqlErr bool) *apiError {
	var ae *apiError
	var lim *auth.LimitError
	var bc *lakeview.BadColumnError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &lim):
		secs := int(lim.RetryAfter.Seconds() + 0.999)
		return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many attempts; retry later", RetryAfter: max(secs, 1), cause: err}
	case errors.Is(err, auth.ErrTokenExpired):
		return &apiError{Status: http.StatusUnauthorized, Code: "token_expired", Message: "the access token has expired; refresh it", cause: err}
	case errors.Is(err, auth.ErrTokenInvalid):
		return &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid token", cause: err}
	case errors.Is(err, auth.ErrBadCredentials):
		return &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid username or password", cause: err}
	case errors.Is(err, auth.ErrUserNotFound):
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such user", cause: err}
	case errors.Is(err, auth.ErrUserExists):
		return &apiError{Status: http.StatusConflict, Code: "conflict", Message: "a user with that name exists", cause: err}
	case errors.Is(err, auth.ErrLastAdmin):
		return &apiError{Status: http.StatusConflict, Code: "conflict", Message: err.Error(), cause: err}
	case errors.Is(err, auth.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: "conflict", Message: "the object kept changing; try again", cause: err}
	case errors.Is(err, auth.ErrWeak):
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_parameter", Field: "password", Message: err.Error(), cause: err}
	case errors.Is(err, lakeview.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: err.Error(), cause: err}
	case errors.Is(err, lakeview.ErrBadCursor):
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_parameter", Field: "cursor", Message: err.Error(), cause: err}
	case errors.As(err, &bc):
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_parameter", Field: "sort", Message: err.Error(), cause: err}
	case errors.Is(err, adhoc.ErrRefused):
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Field: "sql", Message: err.Error(), cause: err}
	case errors.Is(err, adhoc.ErrForbidden):
		return &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: err.Error(), cause: err}
	case errors.Is(err, adhoc.ErrTooLarge):
		return &apiError{Status: http.StatusBadRequest, Code: "result_too_large", Field: "sql", Message: err.Error(), cause: err}
	case errors.Is(err, adhoc.ErrBusy):
		return &apiError{Status: http.StatusTooManyRequests, Code: "too_many_queries", Message: "too many SQL queries are running; retry in a moment", RetryAfter: 1, cause: err}
	case store.IsUnavailable(err):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "store_unavailable", Message: "the object store is unavailable; retry later", RetryAfter: 5, cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "the query took too long", cause: err}
	case errors.Is(err, lake.ErrCorrupt):
		return &apiError{Status: http.StatusInternalServerError, Code: "corrupt_object", Message: err.Error(), cause: err}
	case errors.Is(err, query.ErrBadRequest):
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: err.Error(), cause: err}
	case sqlErr:
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Field: "sql", Message: "query failed: " + err.Error(), cause: err}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", cause: err}
}

// created is an answer written with 201 Created.
type created struct{ v any }

// noContent is an answer written as 204 No Content.
type noContent struct{}

// withStatus is a JSON answer with another status than 200 (and not an
// error: a health check's 503, a queued command's 202).
type withStatus struct {
	status int
	v      any
}

// raw is an answer written as is, with 200; the handler sets its
// Content-Type (and any other header) on w.
type raw struct{ body io.WriterTo }

// reply adapts a handler that returns its answer: a value is written as
// JSON (200, or as created/noContent say), an error goes through
// classify — the one path from an error to the wire. The handler may set
// headers on w but writes no body.
func (s *Server) reply(h func(http.ResponseWriter, *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := h(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		switch v := v.(type) {
		case created:
			writeJSON(w, http.StatusCreated, v.v)
		case noContent:
			w.WriteHeader(http.StatusNoContent)
		case withStatus:
			writeJSON(w, v.status, v.v)
		case raw:
			w.WriteHeader(http.StatusOK)
			v.body.WriteTo(w)
		case listPage:
			writePage(w, v)
		default:
			writeJSON(w, http.StatusOK, v)
		}
	})
}

// fail writes err's answer, as classify says; handlers return their
// errors to reply, and middleware calls fail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err, false)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	rid := requestID(r.Context())
	if ae.Status >= 500 {
		logged := err
		if ae.cause != nil {
			logged = ae.cause
		}
		s.cfg.Logger.Error("request failed", "request_id", rid, "path", r.URL.Path, "status", ae.Status, "error", logged)
	}
	writeError(w, rid, ae)
}

func writeError(w http.ResponseWriter, rid string, ae *apiError) {
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.Field, body.Error.RequestID = ae.Code, ae.Message, ae.Field, rid
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="atlhyper"`)
	}
	if len(ae.Extra) == 0 {
		writeJSON(w, ae.Status, body)
		return
	}
	obj := map[string]any{"code": ae.Code, "message": ae.Message}
	if ae.Field != "" {
		obj["field"] = ae.Field
	}
	if rid != "" {
		obj["request_id"] = rid
	}
	for k, v := range ae.Extra {
		if _, taken := obj[k]; !taken {
			obj[k] = v
		}
	}
	writeJSON(w, ae.Status, map[string]any{"error": obj})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "error", err)
		status, data = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(data)
	w.Write([]byte("\n"))
}
