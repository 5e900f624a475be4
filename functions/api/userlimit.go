package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/atlhyper/atlhyper/internal/lru"
)

// Per-user limits, per instance. Every authenticated request takes a token
// from its user's bucket; a request that may reconstruct a cluster's state
// at some moment (any `at`, the time-travel routes) also takes one of the
// user's few reconstruction slots, waiting briefly for one. Each distinct
// `at` costs a DuckDB state reconstruction (~0.3 s of CPU and up to the
// state cache's memory), so one user must not be able to queue hundreds.
// On Lambda an instance serves one request at a time and these bound only
// a warm instance: the fleet-wide limit there is API Gateway's throttling.

// Defaults for Config.UserRate, UserBurst, UserReconstructions.
const (
	DefaultUserRate            = 50
	DefaultUserBurst           = 200
	DefaultUserReconstructions = 2
	reconstructionWait         = 2 * time.Second
)

type userLimits struct {
	rate  rate.Limit
	burst int
	slots int
	wait  time.Duration // for a reconstruction slot

	mu    sync.Mutex // makes get's look-up and insert one step
	users *lru.Cache[string, *userLimit]
}

// maxUserLimits bounds the users whose limits an instance remembers; the
// least recently seen is forgotten first (users are few: a forgotten one
// starts again with a full bucket).
const maxUserLimits = 10_000

type userLimit struct {
	bucket *rate.Limiter
	slots  chan struct{}
}

func newUserLimits(perSecond float64, burst, slots int) *userLimits {
	return &userLimits{rate: rate.Limit(perSecond), burst: burst, slots: slots, wait: reconstructionWait,
		users: lru.New[string, *userLimit](maxUserLimits, nil)}
}

func (l *userLimits) get(user string) *userLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	u, ok := l.users.Get(user)
	if !ok {
		u = &userLimit{bucket: rate.NewLimiter(l.rate, l.burst), slots: make(chan struct{}, l.slots)}
		l.users.Put(user, u)
	}
	return u
}

// allow takes a token; false means over the rate.
func (l *userLimits) allow(user string, now time.Time) bool { return l.get(user).bucket.AllowN(now, 1) }

// reconstruction takes a slot, waiting up to l.wait; release
// gives it back.
func (l *userLimits) reconstruction(ctx context.Context, user string) (release func(), ok bool) {
	u := l.get(user)
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case u.slots <- struct{}{}:
		return func() { <-u.slots }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// reconstructs tells whether a request may rebuild a state at a moment.
func reconstructs(r *http.Request) bool {
	return r.URL.Query().Has("at") || strings.Contains(r.URL.Path, "/timetravel/")
}

var errUserRate = &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many requests; slow down", RetryAfter: 1}
var errUserReconstructions = &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited",
	Message: "too many time-travel requests at once; retry in a moment", RetryAfter: 1}
