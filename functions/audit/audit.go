// Package audit records who did what: logins (successful or not), every
// state-changing call and every SQL query, as rows of the lake's audit
// table. Each record is written as its own object before the caller
// answers, so an acknowledged action always has its record, even on an
// instance (a Lambda) that is frozen or killed right after responding.
//
// It never records a secret: parameters pass through Mask first.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Outcomes.
const (
	OK     = "ok"
	Denied = "denied"
	Error  = "error"
)

// Recorder writes audit records.
type Recorder struct {
	w   *lake.Writer
	log *slog.Logger
	now func() time.Time
}

// New returns a recorder writing into b under the global partition.
func New(b store.Bucket, log *slog.Logger, now func() time.Time) (*Recorder, error) {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: lake.GlobalCluster, Writer: "api", Sink: lake.StoreSink{Bucket: b}, Logger: log, Now: now})
	if err != nil {
		return nil, err
	}
	return &Recorder{w: w, log: log, now: now}, nil
}

// Record writes rec durably, retrying briefly; an error means the record
// is not stored and the caller must not report success.
func (r *Recorder) Record(ctx context.Context, rec lake.Audit) error {
	if rec.TS.IsZero() {
		rec.TS = r.now().UTC()
	}
	rec.Actor = clip(rec.Actor, 128)
	rec.Target = clip(rec.Target, 512)
	rec.UserAgent = clip(rec.UserAgent, 256)
	rec.Params = clip(rec.Params, 16<<10)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = lake.WriteNow(ctx, r.w, lake.AuditLog, []lake.Audit{rec}); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
	r.log.Error("audit record not written", "action", rec.Action, "actor", rec.Actor, "error", err)
	return fmt.Errorf("audit: %w", err)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// secretWords mark parameter names whose values are masked.
var secretWords = []string{"password", "secret", "token", "authorization", "cookie", "credential", "key"}

// Mask renders params as JSON with every value under a secret-looking name
// replaced by "***", recursively. Keys come out sorted.
func Mask(params map[string]any) string {
	if len(params) == 0 {
		return ""
	}
	data, err := json.Marshal(mask(params))
	if err != nil {
		return `{"error":"unencodable parameters"}`
	}
	return string(data)
}

func mask(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if isSecret(k) {
				out[k] = "***"
			} else {
				out[k] = mask(t[k])
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = mask(t[i])
		}
		return out
	}
	return v
}

func isSecret(name string) bool {
	l := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}
