package compact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/lease"
	"github.com/atlhyper/atlhyper/query/store"
)

// ErrLeaseHeld means another compactor holds the cluster's lease.
var ErrLeaseHeld = lease.ErrHeld

// leaseDuration is how long a compactor's lease must stay unchanged before
// another run takes it over; a holder renews it every third of that.
const leaseDuration = 10 * time.Minute

// nowClock adapts the compactor's clock to query/lease.
type nowClock func() time.Time

func (c nowClock) Now() time.Time                       { return c() }
func (nowClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func leaseKey(cluster string) string { return lake.SysPrefix + "leases/compact-" + cluster + ".json" }

// observationKey holds what runs that found the lease held saw of it (its
// ETag and when it was first seen): a compaction run is one-shot, so the
// observation query/lease needs to take over a crashed holder's lease
// outlives the run here.
func observationKey(cluster string) string {
	return lake.SysPrefix + "compaction/" + cluster + ".lease-observed.json"
}

// acquireLease takes the cluster's compaction lease (query/lease: taken
// over only once a run has seen it unchanged for leaseDuration).
func (c *Compactor) acquireLease(ctx context.Context, cluster string) (*lease.Lease, error) {
	cfg := lease.Config{Bucket: c.cfg.Bucket, Key: leaseKey(cluster), Identity: c.owner, Duration: leaseDuration,
		Clock: nowClock(c.cfg.Now), Logger: c.cfg.Logger}
	// Free or ours (every steady run): no observation needed.
	var obs lease.Observation
	l, err := lease.Acquire(ctx, cfg, &obs)
	if !errors.Is(err, lease.ErrHeld) {
		return l, err
	}
	// Held by another: judge it by what earlier runs saw of it.
	okey := observationKey(cluster)
	var seen lease.Observation
	if data, _, gerr := c.cfg.Bucket.Get(ctx, okey, ""); gerr == nil {
		_ = json.Unmarshal(data, &seen) // unreadable: observe afresh
	} else if !store.IsNotFound(gerr) {
		return nil, errors.Join(err, fmt.Errorf("compaction lease observation: %w", gerr))
	}
	if seen.ETag != obs.ETag {
		data, _ := json.Marshal(obs) // first seen now
		if _, perr := c.cfg.Bucket.Put(ctx, okey, data, store.Condition{}); perr != nil {
			return nil, errors.Join(err, fmt.Errorf("compaction lease observation: %w", perr))
		}
		return nil, err
	}
	return lease.Acquire(ctx, cfg, &seen)
}

// renewLease renews a held lease once a third of its duration has passed
// since the last write; it fails only when another run took the lease over.
func renewLease(ctx context.Context, l *lease.Lease) error {
	if l.SincePublished() < leaseDuration/3 {
		return nil
	}
	if err := l.Publish(ctx); errors.Is(err, lease.ErrLost) {
		return err
	}
	return nil // the store failing is no evidence of a takeover: retry at the next renewal
}
