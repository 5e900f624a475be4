// Package control is the per-cluster control object, _sys/clusters/<id>/control.json:
// the one small object the API and a cluster's agent share.
//
// It carries the watch lease — "someone is looking at this cluster until
// T" — which makes the agent poll faster and publish its not yet flushed
// rows as a tail object (docs/lake.md, *Freshness*), and the command queue
// (queue.go: commands the API signed for the agent to run, sign.go), so an
// idle cluster costs one conditional GET per poll interval for both. Every
// write is a compare-and-swap, so concurrent writers never lose each
// other's changes.
//
// The package knows the store, not Kubernetes or HTTP.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atlhyper/atlhyper/internal/backoff"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Key is the control object's name under _sys/clusters/<id>/.
const Key = "control.json"

// SchemaVersion of Object. Versions only add fields; readers ignore fields
// they do not know.
const SchemaVersion = 1

// Defaults of the watch protocol (docs/lake.md, *Freshness*).
const (
	// MaxWatch caps one renewal: a tab that stops renewing (closed, hidden,
	// crashed) stops costing anything within this time.
	MaxWatch = 2 * time.Minute
	// IdlePoll and WatchedPoll are the agent's poll intervals: 240 and
	// 1,800 conditional GETs an hour.
	IdlePoll    = 15 * time.Second
	WatchedPoll = 2 * time.Second
)

// Object is the content of control.json.
type Object struct {
	SchemaVersion int    `json:"schema_version"`
	Cluster       string `json:"cluster"`
	// WatchUntil is when the current watch lease ends (the API's clock);
	// zero when nobody has watched the cluster yet.
	WatchUntil time.Time `json:"watch_until,omitzero"`
	// UpdatedAt is when the object was last written.
	UpdatedAt time.Time `json:"updated_at"`
	// Commands is the command queue (queue.go): unfinished commands, and
	// finished ones for a while.
	Commands []Entry `json:"commands,omitempty"`
}

// Busy reports whether a command waits or runs: the agent polls fast
// then, as while watched.
func (o Object) Busy() bool {
	for _, e := range o.Commands {
		if !Final(e.State) {
			return true
		}
	}
	return false
}

// Watched reports whether the watch lease covers now.
func (o Object) Watched(now time.Time) bool { return now.Before(o.WatchUntil) }

// ObjectKey is the control object's store key for cluster.
func ObjectKey(cluster string) string { return lake.ClusterKey(cluster, Key) }

// Decode parses and checks a control object of cluster.
func Decode(cluster string, data []byte) (Object, error) {
	var o Object
	if err := json.Unmarshal(data, &o); err != nil {
		return Object{}, fmt.Errorf("control object of %s: %w", cluster, err)
	}
	if o.SchemaVersion < 1 {
		return Object{}, fmt.Errorf("control object of %s: schema_version %d", cluster, o.SchemaVersion)
	}
	if o.Cluster != cluster {
		return Object{}, fmt.Errorf("control object of %s names cluster %q", cluster, o.Cluster)
	}
	return o, nil
}

// ErrContention means compare-and-swap kept failing: too many writers at once.
var ErrContention = errors.New("control object: too many concurrent writers")

// Watch extends cluster's watch lease to now+d (d capped at MaxWatch). It
// writes only when less than half of d remains, so many tabs and API
// instances renewing the same cluster cost about one PUT per d/2, and
// returns the lease's end either way.
func Watch(ctx context.Context, b store.Bucket, cluster string, now time.Time, d time.Duration) (time.Time, error) {
	if err := lake.ValidCluster(cluster); err != nil || cluster == lake.GlobalCluster {
		return time.Time{}, fmt.Errorf("watch: invalid cluster %q", cluster)
	}
	d = min(max(d, 0), MaxWatch)
	var until time.Time
	err := update(ctx, b, cluster, func(o *Object) bool {
		until = o.WatchUntil
		if o.WatchUntil.Sub(now) >= d/2 {
			return false
		}
		o.WatchUntil = now.Add(d).UTC().Truncate(time.Millisecond)
		o.UpdatedAt = now.UTC()
		until = o.WatchUntil
		return true
	})
	return until, err
}

// updateBackoff spaces attempts after a lost race: submitters, renewals
// and agents share one object, so losing is normal under load.
var updateBackoff = backoff.Backoff{Min: 5 * time.Millisecond, Max: 400 * time.Millisecond}

// update applies fn to the current object (a fresh one when absent) and
// writes the result with compare-and-swap, retrying on contention. fn
// returns false to leave the object as it is; it may run several times
// and must only change the object it is given.
func update(ctx context.Context, b store.Bucket, cluster string, fn func(*Object) bool) error {
	key := ObjectKey(cluster)
	for attempt := 0; attempt < 40; attempt++ {
		if attempt > 0 {
			if err := updateBackoff.Sleep(ctx, attempt-1); err != nil {
				return err
			}
		}
		data, info, err := b.Get(ctx, key, "")
		o := Object{SchemaVersion: SchemaVersion, Cluster: cluster}
		cond := store.IfAbsent
		switch {
		case store.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("read %s: %w", key, err)
		default:
			if o, err = Decode(cluster, data); err != nil {
				// An unreadable object is replaced rather than wedging the
				// cluster's control channel forever.
				o = Object{SchemaVersion: SchemaVersion, Cluster: cluster}
			}
			cond = store.IfMatch(info.ETag)
		}
		if !fn(&o) {
			return nil
		}
		o.SchemaVersion = SchemaVersion
		out, err := json.Marshal(o)
		if err != nil {
			return err
		}
		_, err = b.Put(ctx, key, out, cond)
		switch {
		case err == nil:
			return nil
		case store.IsPreconditionFailed(err):
			continue // someone else wrote it: read again
		default:
			return fmt.Errorf("write %s: %w", key, err)
		}
	}
	return ErrContention
}

// Poller reads a cluster's control object with conditional GETs, so an
// unchanged object costs a 304 and no body.
type Poller struct {
	Bucket  store.Bucket
	Cluster string

	etag string
	last Object
}

// Poll returns the control object (the zero Object with the cluster set
// when there is none). changed reports whether it differs from the
// previous poll's.
func (p *Poller) Poll(ctx context.Context) (o Object, changed bool, err error) {
	key := ObjectKey(p.Cluster)
	data, info, err := p.Bucket.Get(ctx, key, p.etag)
	switch {
	case store.IsNotModified(err):
		return p.last, false, nil
	case store.IsNotFound(err):
		changed = p.etag != ""
		p.etag, p.last = "", Object{Cluster: p.Cluster}
		return p.last, changed, nil
	case err != nil:
		return p.last, false, fmt.Errorf("poll %s: %w", key, err)
	}
	o, err = Decode(p.Cluster, data)
	if err != nil {
		// Remember the ETag: a bad object is not re-read on every poll.
		p.etag, p.last = info.ETag, Object{Cluster: p.Cluster}
		return p.last, true, err
	}
	p.etag, p.last = info.ETag, o
	return o, true, nil
}
