package usage

import (
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

// MinRateWindow is the shortest measurement a rate per hour is computed
// from: right after a start, a few requests (bootstrap, first reads)
// extrapolated to an hour would say nothing useful.
const MinRateWindow = 10 * time.Minute

// Meter turns a metered bucket's counters (cumulative since the process
// started) into requests per hour over roughly the last hour.
//
// It needs no goroutine: every Snapshot records a sample (at most one a
// minute), and the rate runs from the newest sample that is at least an
// hour old — or from the start when there is none — to now. While the
// self-monitoring page is open the window therefore slides over the last
// hour; after a quiet spell it covers everything since the last sample.
type Meter struct {
	m       *store.Metered
	started time.Time

	mu      sync.Mutex
	samples []sample // oldest first; samples[0] is the base of the window
}

type sample struct {
	at time.Time
	r  store.Requests
}

// NewMeter starts measuring m at now.
func NewMeter(m *store.Metered, now time.Time) *Meter {
	return &Meter{m: m, started: now, samples: []sample{{at: now, r: m.Requests()}}}
}

// Requests are one process's store requests.
type Requests struct {
	StartedAt     time.Time      `json:"started_at"`
	UptimeSeconds float64        `json:"uptime_seconds"`
	Total         store.Requests `json:"total"` // since start
	// WindowSeconds is the span PerHour was measured over; PerHour is nil
	// until it reaches MinRateWindow.
	WindowSeconds float64       `json:"window_seconds"`
	PerHour       *RequestRates `json:"per_hour"`
}

// RequestRates are requests per hour by type. NotModified (304s) is part
// of Get and PreconditionFailed (412s) part of Put.
type RequestRates struct {
	Put                float64 `json:"put"`
	Get                float64 `json:"get"`
	List               float64 `json:"list"`
	Delete             float64 `json:"delete"`
	Head               float64 `json:"head"`
	Errors             float64 `json:"errors"`
	NotModified        float64 `json:"not_modified"`
	PreconditionFailed float64 `json:"precondition_failed"`
}

// Snapshot returns the counters and the rates at now.
func (mt *Meter) Snapshot(now time.Time) Requests {
	cur := mt.m.Requests()
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if last := mt.samples[len(mt.samples)-1]; now.Sub(last.at) >= time.Minute {
		mt.samples = append(mt.samples, sample{at: now, r: cur})
	}
	base := 0
	for i, s := range mt.samples {
		if now.Sub(s.at) >= time.Hour {
			base = i
		}
	}
	mt.samples = mt.samples[base:]
	from := mt.samples[0]
	out := Requests{StartedAt: mt.started.UTC(), UptimeSeconds: now.Sub(mt.started).Seconds(), Total: cur, WindowSeconds: now.Sub(from.at).Seconds()}
	if w := now.Sub(from.at); w >= MinRateWindow {
		out.PerHour = ptr(rates(cur.Sub(from.r), w))
	}
	return out
}
