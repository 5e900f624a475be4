package compact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// ErrLeaseHeld means another owner holds an unexpired lease.
var ErrLeaseHeld = errors.New("lease held by another owner")

// lease is a time-bounded claim on a name, kept in the store as a small JSON
// object and taken or renewed only by conditional writes.
type lease struct {
	b     store.Bucket
	key   string
	owner string
	ttl   time.Duration
	now   func() time.Time
	etag  string
	until time.Time
}

type leaseDoc struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

func acquire(ctx context.Context, b store.Bucket, name, owner string, ttl time.Duration, now func() time.Time) (*lease, error) {
	l := &lease{b: b, key: lake.SysPrefix + "leases/" + name + ".json", owner: owner, ttl: ttl, now: now}
	data, info, err := b.Get(ctx, l.key, "")
	switch {
	case store.IsNotFound(err):
		return l, l.write(ctx, store.IfAbsent)
	case err != nil:
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	var doc leaseDoc
	if json.Unmarshal(data, &doc) == nil && doc.Owner != owner && now().Before(doc.Expires) {
		return nil, fmt.Errorf("lease %s: %w (%s until %s)", name, ErrLeaseHeld, doc.Owner, doc.Expires.Format(time.RFC3339))
	}
	return l, l.write(ctx, store.IfMatch(info.ETag))
}

func (l *lease) write(ctx context.Context, cond store.Condition) error {
	until := l.now().Add(l.ttl)
	data, _ := json.Marshal(leaseDoc{Owner: l.owner, Expires: until})
	info, err := l.b.Put(ctx, l.key, data, cond)
	if store.IsPreconditionFailed(err) {
		return fmt.Errorf("lease %s: %w (lost a race)", l.key, ErrLeaseHeld)
	}
	if err != nil {
		return fmt.Errorf("lease %s: %w", l.key, err)
	}
	l.etag, l.until = info.ETag, until
	return nil
}

// renew extends the lease when a third of it is used up; it fails if
// someone took the lease over, so the holder stops working.
func (l *lease) renew(ctx context.Context) error {
	if l.until.Sub(l.now()) > l.ttl*2/3 {
		return nil
	}
	return l.write(ctx, store.IfMatch(l.etag))
}

func (l *lease) release(ctx context.Context) {
	data, _ := json.Marshal(leaseDoc{Owner: l.owner, Expires: l.now().Add(-time.Second)})
	l.b.Put(ctx, l.key, data, store.IfMatch(l.etag))
}
