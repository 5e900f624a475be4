package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/atlhyper/atlhyper/internal/lru"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Password guessing (login, and the current password of a password change)
// is limited in two layers.
//
//  1. Failure counters in the object store, one small object per username
//     and per source IP (/64 for IPv6), updated by compare-and-swap. They
//     are what makes the limit hold across every instance — a Lambda fleet
//     of hundreds of instances shares them. Every attempt first reserves a
//     failure in both counters (compare-and-swap: of any number of parallel
//     attempts, at most MaxFailures get a reservation per window), and only
//     an attempt holding both reservations compares a password. A wrong
//     password keeps its reservation; a right one gives the IP's back and
//     clears the username's counter. The window slides: a key is locked
//     while MaxFailures failures lie within the last Window.
//  2. An in-memory token bucket per source IP in front of it, per instance,
//     so that one client cannot make an instance hammer the store (every
//     attempt costs a GET and a PUT per counter) or burn its CPU on
//     bcrypt. It is a cost guard, not the security boundary.
//
// Writes an attacker can cause are bounded: a locked key is checked with a
// GET and no write, so each key takes at most MaxFailures reservations per
// window plus one audit record when its lockout begins (the caller writes
// it from LoginResult.Lockouts); refused attempts are not audited one by
// one. A counter keeps the first and last failure, the total count and the
// hashed sources, which the lockout's audit record carries.
//
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

// maxSources bounds the hashed sources a counter remembers.
const maxSources = 16

// counter is one key's failure record.
type counter struct {
	// Failures are the times of the failures (or reserved attempts) inside
	// the window, oldest first; never more than MaxFailures.
	Failures []time.Time `json:"failures"`
	First    time.Time   `json:"first"`
	Last     time.Time   `json:"last"`
	Count    int64       `json:"count"` // every failure this object has seen
	Sources  []string    `json:"sources,omitempty"`
	LockedAt time.Time   `json:"locked_at,omitzero"`
}

// UnmarshalJSON reads a counter; an unreadable one starts afresh rather
// than failing every login of its key.
func (c *counter) UnmarshalJSON(b []byte) error {
	type plain counter
	var p plain
	if json.Unmarshal(b, &p) != nil {
		p = plain{}
	}
	*c = counter(p)
	return nil
}

// Sentinels ending a counter update without writing.
var (
	errLocked    = errors.New("locked")
	errUnchanged = errors.New("unchanged")
	errEmpty     = errors.New("empty")
)

func (c *counter) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(c.Failures) && !now.Before(c.Failures[i].Add(window)) {
		i++
	}
	c.Failures = c.Failures[i:]
}

// Lockout describes a lock that an attempt began: what its audit record
// says.
type Lockout struct {
	Scope    string    `json:"scope"` // user or ip
	Failures int       `json:"failures"`
	Count    int64     `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Until    time.Time `json:"until"`
	Sources  []string  `json:"sources,omitempty"`
}

const limitsPrefix = lake.SysPrefix + "auth/ratelimit/"

// limitKey hides the username or address behind a hash: the store holds
// no list of attempted usernames or client addresses.
func limitKey(scope, value string) string {
	sum := sha256.Sum256([]byte("atlhyper-ratelimit\x00" + scope + "\x00" + value))
	return limitsPrefix + scope + "-" + hex.EncodeToString(sum[:16]) + ".json"
}

// sourceHash names a client address in a counter without storing it.
func sourceHash(ip string) string {
	sum := sha256.Sum256([]byte("atlhyper-source\x00" + ipKey(ip)))
	return hex.EncodeToString(sum[:6])
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

	// buckets are the per-address token buckets, least recently seen
	// out past maxBuckets (bounded memory under address spraying).
	mu      sync.Mutex // get-or-create of a bucket
	buckets *lru.Cache[string, *rate.Limiter]
	every   rate.Limit
	burst   int
}

const maxBuckets = 50_000

func newLimiter(b store.Bucket, now func() time.Time, perSecond float64, burst int) *limiter {
	return &limiter{b: b, now: now, buckets: lru.New[string, *rate.Limiter](maxBuckets, nil), every: rate.Limit(perSecond), burst: burst}
}

// allowLocal applies the per-instance token bucket for ip.
func (l *limiter) allowLocal(ip string) bool {
	k := ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.buckets.Get(k)
	if !ok {
		lim = rate.NewLimiter(l.every, l.burst)
		l.buckets.Put(k, lim)
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

func (l *limiter) write(ctx context.Context, key string, c counter, etag string) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	cond := store.IfAbsent
	if etag != "" {
		cond = store.IfMatch(etag)
	}
	_, err = l.b.Put(ctx, key, data, cond)
	return err
}

// reservation is one attempt counted in advance.
type reservation struct {
	key      string
	at       time.Time
	inWindow int // failures in the window, this one included
	// lockout is set when this attempt's failure locks the key.
	lockout *Lockout
}

// reserve counts one failure for key before the password is compared.
// When the key is already locked it writes nothing and returns how long
// the lock lasts.
func (l *limiter) reserve(ctx context.Context, key, scope string, p LimitPolicy, ip string) (reservation, time.Duration, error) {
	var (
		r    reservation
		wait time.Duration
	)
	_, _, err := store.UpdateN(ctx, l.b, key, casAttempts, func(c *counter, _ bool) error {
		now := l.now().UTC()
		c.prune(now, p.Window)
		if len(c.Failures) >= p.MaxFailures {
			wait = c.Failures[len(c.Failures)-p.MaxFailures].Add(p.Window).Sub(now)
			return errLocked
		}
		c.Failures = append(c.Failures, now)
		c.Count++
		c.Last = now
		if c.First.IsZero() {
			c.First = now
		}
		if src := sourceHash(ip); !slices.Contains(c.Sources, src) && len(c.Sources) < maxSources {
			c.Sources = append(c.Sources, src)
		}
		r = reservation{key: key, at: now, inWindow: len(c.Failures)}
		if len(c.Failures) == p.MaxFailures {
			c.LockedAt = now
			r.lockout = &Lockout{Scope: scope, Failures: len(c.Failures), Count: c.Count, First: c.First, Last: c.Last,
				Until: c.Failures[0].Add(p.Window), Sources: slices.Clone(c.Sources)}
		}
		return nil
	})
	switch {
	case errors.Is(err, errLocked):
		return reservation{}, wait, nil
	case err != nil:
		return reservation{}, 0, fmt.Errorf("write rate limit: %w", err)
	}
	return r, 0, nil
}

// release gives a reservation back (the attempt succeeded).
func (l *limiter) release(ctx context.Context, r reservation) error {
	if r.key == "" {
		return nil
	}
	_, _, err := store.UpdateN(ctx, l.b, r.key, casAttempts, func(c *counter, exists bool) error {
		i := slices.IndexFunc(c.Failures, func(t time.Time) bool { return t.Equal(r.at) })
		if !exists || i < 0 {
			return errUnchanged
		}
		c.Failures = slices.Delete(c.Failures, i, i+1)
		c.Count--
		if len(c.Failures) == 0 && c.Count <= 0 {
			return errEmpty
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return nil
	case errors.Is(err, errEmpty):
		return l.b.Delete(ctx, r.key)
	}
	return err
}

// clear removes a counter (the username's, after a right password).
func (l *limiter) clear(ctx context.Context, key string) error {
	return l.b.Delete(ctx, key)
}

// gc removes counters untouched for keep.
func (l *limiter) gc(ctx context.Context, keep time.Duration) error {
	infos, err := store.ListAll(ctx, l.b, limitsPrefix)
	if err != nil {
		return err
	}
	cutoff := l.now().Add(-keep)
	for _, info := range infos {
		if info.Modified.Before(cutoff) {
			if err := l.b.Delete(ctx, info.Key); err != nil && !store.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}
