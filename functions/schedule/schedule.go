// Package schedule holds AtlHyper's scheduled functions — compaction and
// retention, and the lake inventory behind self-monitoring; SLO rollups and
// alert evaluation join later — and runs them on a local timer or once per
// invocation (AWS Lambda behind an EventBridge schedule).
//
// A job keeps no state between runs: what it needs to remember (its last
// result, and the runs of the last day with their store requests, from
// which self-monitoring prices the jobs) it writes to _sys/jobs/<name>.json,
// so any instance may run the next one.
package schedule

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Job is one scheduled function.
type Job struct {
	Name  string
	Every time.Duration
	// Run does the work through b, which counts the run's store requests
	// (RunOnce records them in the job's status): a job must not reach
	// the store any other way. now is the clock the job must use.
	Run func(ctx context.Context, b store.Bucket, now func() time.Time) (report any, err error)
}

// Names of the scheduled jobs (also their status objects' names).
const (
	JobCompact   = "compact"
	JobInventory = "inventory"
)

// JobNames lists every scheduled job, for readers that report on all of
// them (including those that never ran).
func JobNames() []string { return []string{JobCompact, JobInventory} }

// Status is the last run of a job, as stored in _sys/jobs/<name>.json.
type Status struct {
	Job      string          `json:"job"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	OK       bool            `json:"ok"`
	Error    string          `json:"error,omitempty"`
	Report   json.RawMessage `json:"report,omitempty"`
	// Requests counts the store requests the run made, including the
	// read and write of this status. EverySeconds is the interval the job
	// was scheduled with.
	Requests     *store.Requests `json:"requests,omitempty"`
	EverySeconds int64           `json:"every_seconds,omitempty"`
	// History holds the runs that started in the last HistoryWindow (this
	// one included), oldest first, at most MaxHistory: what the job
	// really costs is their requests over that window, not the last run
	// times runs per month (a once-a-day sweep is not repeated hourly).
	// HistorySince is the start of the oldest run the history can hold:
	// runs before it were not recorded, so a window starts there at the
	// earliest.
	History      []Run     `json:"history,omitempty"`
	HistorySince time.Time `json:"history_since,omitzero"`
}

// Run is one run in a job's history, with its store requests by type.
type Run struct {
	Started            time.Time `json:"started"`
	Seconds            float64   `json:"seconds"`
	OK                 bool      `json:"ok"`
	Put                int64     `json:"put,omitempty"`
	Get                int64     `json:"get,omitempty"`
	List               int64     `json:"list,omitempty"`
	Delete             int64     `json:"delete,omitempty"`
	Head               int64     `json:"head,omitempty"`
	NotModified        int64     `json:"not_modified,omitempty"`
	PreconditionFailed int64     `json:"precondition_failed,omitempty"`
}

// HistoryWindow and MaxHistory bound a job's history: a day of runs, at
// most 500 (a day of a job run every 3 minutes; about 50 KB). A job run
// more often keeps a shorter window.
const (
	HistoryWindow = 24 * time.Hour
	MaxHistory    = 500
)

// StatusKey is where a job's last status lives.
func StatusKey(job string) string { return lake.SysPrefix + "jobs/" + job + ".json" }

// RunOnce runs job and records its status in the store.
func RunOnce(ctx context.Context, b store.Bucket, job Job, log *slog.Logger) Status {
	return RunOnceAt(ctx, b, job, log, time.Now)
}

// RunOnceAt is RunOnce on the clock now (simulations run jobs in virtual
// time).
func RunOnceAt(ctx context.Context, b store.Bucket, job Job, log *slog.Logger, now func() time.Time) Status {
	st := Status{Job: job.Name, Started: now().UTC(), EverySeconds: int64(job.Every / time.Second)}
	m := store.NewMetered(b)
	report, err := job.Run(ctx, m, now)
	st.Finished = now().UTC()
	reqs := m.Requests()
	reqs.Get++ // the status read below
	reqs.Put++ // and its write
	st.Requests = &reqs
	st.OK = err == nil
	if err != nil {
		st.Error = err.Error()
		log.Error("job failed", "job", job.Name, "error", err, "took", st.Finished.Sub(st.Started))
	} else {
		log.Info("job done", "job", job.Name, "took", st.Finished.Sub(st.Started).Round(time.Millisecond))
	}
	if report != nil {
		st.Report, _ = json.Marshal(report)
	}
	run := Run{Started: st.Started, Seconds: st.Finished.Sub(st.Started).Round(time.Millisecond).Seconds(), OK: st.OK,
		Put: reqs.Put, Get: reqs.Get, List: reqs.List, Delete: reqs.Delete, Head: reqs.Head,
		NotModified: reqs.NotModified, PreconditionFailed: reqs.PreconditionFailed}
	if err := writeStatus(context.WithoutCancel(ctx), b, &st, run); err != nil {
		log.Warn("recording job status failed", "job", job.Name, "error", err)
	}
	return st
}

// writeStatus writes st with the previous status's history and run
// appended, by compare-and-swap so that overlapping runs (two instances, a
// manual run) lose no run. Retries after a lost race are not counted in
// the run's requests.
func writeStatus(ctx context.Context, b store.Bucket, st *Status, run Run) error {
	key := StatusKey(st.Job)
	for attempt := 0; ; attempt++ {
		var prev Status
		cond := store.IfAbsent
		data, info, err := b.Get(ctx, key, "")
		switch {
		case err == nil:
			cond = store.IfMatch(info.ETag)
			if json.Unmarshal(data, &prev) != nil {
				prev = Status{} // unreadable: start the history again
			}
		case !store.IsNotFound(err):
			return err
		}
		st.History, st.HistorySince = appendRun(prev.History, prev.HistorySince, run)
		data, _ = json.Marshal(st)
		_, err = b.Put(ctx, key, data, cond)
		if !store.IsPreconditionFailed(err) || attempt == 2 {
			return err
		}
	}
}

// appendRun adds run to a history and drops runs that started more than
// HistoryWindow before it, then the oldest beyond MaxHistory.
func appendRun(hist []Run, since time.Time, run Run) ([]Run, time.Time) {
	if since.IsZero() {
		since = run.Started
	}
	cutoff := run.Started.Add(-HistoryWindow)
	out := make([]Run, 0, len(hist)+1)
	for _, r := range hist {
		if !r.Started.Before(cutoff) {
			out = append(out, r)
		}
	}
	out = append(out, run)
	if n := len(out) - MaxHistory; n > 0 {
		out = out[n:]
		since = out[0].Started // older runs are gone: the window starts here
	}
	return out, since
}

// Loop runs every job at start and then at its interval (with a little
// jitter so that many local instances do not line up) until ctx ends.
func Loop(ctx context.Context, b store.Bucket, jobs []Job, log *slog.Logger) {
	done := make(chan struct{})
	for _, j := range jobs {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				RunOnce(ctx, b, j, log)
				wait := j.Every + time.Duration(rand.Int64N(int64(j.Every/20)+1))
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}()
	}
	for range jobs {
		<-done
	}
}

// ReadStatus reads a job's last status; nil if the job never ran.
func ReadStatus(ctx context.Context, b store.Bucket, job string) (*Status, error) {
	var st Status
	found, err := GetJSON(ctx, b, StatusKey(job), &st)
	if err != nil || !found {
		return nil, err
	}
	return &st, nil
}
