// Package schedule holds AtlHyper's scheduled functions — compaction and
// retention, and the lake inventory behind self-monitoring; SLO rollups and
// alert evaluation join later — and runs them on a local timer or once per
// invocation (AWS Lambda behind an EventBridge schedule).
//
// A job keeps no state between runs: what it needs to remember (its last
// result) it writes to _sys/jobs/<name>.json, so any instance may run the
// next one.
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
	// the store any other way.
	Run func(ctx context.Context, b store.Bucket) (report any, err error)
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
	// write of this status; with EverySeconds (the interval the job was
	// scheduled with) it is what the job costs per month.
	Requests     *store.Requests `json:"requests,omitempty"`
	EverySeconds int64           `json:"every_seconds,omitempty"`
}

// StatusKey is where a job's last status lives.
func StatusKey(job string) string { return lake.SysPrefix + "jobs/" + job + ".json" }

// RunOnce runs job and records its status in the store.
func RunOnce(ctx context.Context, b store.Bucket, job Job, log *slog.Logger) Status {
	st := Status{Job: job.Name, Started: time.Now().UTC(), EverySeconds: int64(job.Every / time.Second)}
	m := store.NewMetered(b)
	report, err := job.Run(ctx, m)
	st.Finished = time.Now().UTC()
	reqs := m.Requests()
	reqs.Put++ // the status write below
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
	data, _ := json.Marshal(st)
	// Last writer wins: the status is informational, and runs of one job
	// are serialised by the job's own lease.
	if _, err := b.Put(context.WithoutCancel(ctx), StatusKey(job.Name), data, store.Condition{}); err != nil {
		log.Warn("recording job status failed", "job", job.Name, "error", err)
	}
	return st
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
