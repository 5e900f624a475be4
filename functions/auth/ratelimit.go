package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Login rate limiting has two layers.
//
//  1. Failure counters in the object store, one small object per username
//     and per source IP (/64 for IPv6), updated by compare-and-swap. They
//     are what makes the limit hold across every instance — a Lambda fleet
//     of hundreds of instances shares them. A key with MaxFailures failures
//     inside Window is locked until the window ends; the check happens
//     before any password is compared, so a locked key costs no bcrypt.
//  2. An in-memory token bucket per source IP in front of it, per instance,
//     so that one client cannot make an instance hammer the store (every
//     attempt costs two GETs, every failure two PUTs) or burn its CPU on
//     bcrypt. It is a cost guard, not the security boundary.
//
// A successful login clears the username's counter (not the IP's).
// Locking a username lets an attacker keep its owner out for Window at a
// time; that is the accepted price of stopping online guessing, and the
// per-IP limit makes it expensive to do from one address.

// LimitPolicy configures one counter.
type LimitPolicy struct {
	MaxFailures int
	Window      time.Duration
}

// Default policies.
var (
	UserLimit = LimitPolicy{MaxFailures: 5, Window: 15 * time.Minute}
	IPLimit   = LimitPolicy{MaxFailures: 20, Window: 15 * time.Minute}
)

type counter struct {
	WindowStart time.Time `json:"window_start"`
	Failures    int       `json:"failures"`
}

const limitsPrefix = lake.SysPrefix + "auth/ratelimit/"

// limitKey hides the username or address behind a hash: the store holds
// no list of attempted usernames or client addresses.
// Counters live under their day (a window that spans midnight UTC restarts
// at midnight), so past days are removed wholesale.
func limitKey(scope, value string, now time.Time) string {
	sum := sha256.Sum256([]byte("atlhyper-ratelimit\x00" + scope + "\x00" + value))
	return limitsPrefix + now.UTC().Format("20060102") + "/" + scope + "-" + hex.EncodeToString(sum[:16]) + ".json"
}

// ipKey groups IPv6 addresses by /64 (one host usually owns the prefix).
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

type limiter struct {
	b   store.Bucket
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	every   rate.Limit
	burst   int
}

func newLimiter(b store.Bucket, now func() time.Time, perSecond float64, burst int) *limiter {
	return &limiter{b: b, now: now, buckets: map[string]*rate.Limiter{}, every: rate.Limit(perSecond), burst: burst}
}

// allowLocal applies the per-instance token bucket for ip.
func (l *limiter) allowLocal(ip string) bool {
	k := ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 50_000 { // bounded memory under address spraying
		l.buckets = map[string]*rate.Limiter{}
	}
	lim, ok := l.buckets[k]
	if !ok {
		lim = rate.NewLimiter(l.every, l.burst)
		l.buckets[k] = lim
	}
	return lim.AllowN(l.now(), 1)
}

func (l *limiter) read(ctx context.Context, key string) (counter, string, error) {
	data, info, err := l.b.Get(ctx, key, "")
	if store.IsNotFound(err) {
		return counter{}, "", nil
	}
	if err != nil {
		return counter{}, "", fmt.Errorf("read rate limit: %w", err)
	}
	var c counter
	if json.Unmarshal(data, &c) != nil {
		return counter{}, info.ETag, nil // unreadable: start afresh
	}
	return c, info.ETag, nil
}

// lockedFor returns how long the key stays locked (0: not locked).
func (l *limiter) lockedFor(ctx context.Context, key string, p LimitPolicy) (time.Duration, error) {
	c, _, err := l.read(ctx, key)
	if err != nil {
		return 0, err
	}
	now := l.now()
	end := c.WindowStart.Add(p.Window)
	if c.Failures >= p.MaxFailures && now.Before(end) {
		return end.Sub(now), nil
	}
	return 0, nil
}

// fail counts one failure with compare-and-swap.
func (l *limiter) fail(ctx context.Context, key string, p LimitPolicy) error {
	for attempt := 0; attempt < 8; attempt++ {
		c, etag, err := l.read(ctx, key)
		if err != nil {
			return err
		}
		now := l.now()
		if now.Sub(c.WindowStart) >= p.Window || now.Before(c.WindowStart) {
			c = counter{WindowStart: now.UTC()}
		}
		c.Failures++
		data, _ := json.Marshal(c)
		cond := store.IfAbsent
		if etag != "" {
			cond = store.IfMatch(etag)
		}
		_, err = l.b.Put(ctx, key, data, cond)
		if store.IsPreconditionFailed(err) {
			backoff(ctx, attempt)
			continue
		}
		return err
	}
	return ErrConflict
}

// clear removes a counter (after a successful login).
func (l *limiter) clear(ctx context.Context, key string) error {
	c, _, err := l.read(ctx, key)
	if err != nil || c.Failures == 0 {
		return err
	}
	return l.b.Delete(ctx, key)
}
