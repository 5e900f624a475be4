package sim

import (
	"container/heap"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

// StepClock is virtual time that moves only when its owner steps it, for
// benchmarks that must keep every interval at its default and still run a
// day in minutes. Step fires every timer and ticker due, in time order,
// then waits until each fired channel has been received from and the
// process has gone quiet (no goroutine but the caller running, runnable or
// in a system call, as the runtime's scheduler metrics tell): what a tick
// sets off — a heartbeat, a flush, a checkpoint — happens at the tick's
// virtual time, and no tick is lost to a busy receiver. Work the owner
// does between steps takes no virtual time at all.
type StepClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters waiterHeap
	seq     int
	// Abandon is how long Step waits for a fired one-shot timer to be
	// received before taking it as abandoned (a select that took another
	// case; default 200 ms real). Tickers are always waited for.
	Abandon time.Duration
	// Settle bounds the wait for the process to go quiet after a step
	// (default 10 s real).
	Settle time.Duration
	// IgnoreSyscalls leaves goroutines in system calls out of the
	// quiet test (under a CPU profiler, whose writer keeps going in and
	// out of one).
	IgnoreSyscalls bool
	// Unsettled counts steps after which the process did not go quiet
	// within Settle (a benchmark reports it: virtual time may have run
	// ahead of some work).
	Unsettled    atomic.Int64
	sched        [3]metrics.Sample
	syscallFloor int64
}

var _ clock.WithTicker = (*StepClock)(nil)

// NewStepClock starts virtual time at t.
func NewStepClock(t time.Time) *StepClock {
	c := &StepClock{now: t, Abandon: 200 * time.Millisecond, Settle: 10 * time.Second, syscallFloor: -1}
	c.sched[0].Name = "/sched/goroutines/running:goroutines"
	c.sched[1].Name = "/sched/goroutines/runnable:goroutines"
	c.sched[2].Name = "/sched/goroutines/not-in-go:goroutines"
	return c
}

type waiter struct {
	at     time.Time
	period time.Duration // tickers
	ch     chan time.Time
	seq    int
	index  int // in the heap; -1 when not in it
}

type waiterHeap []*waiter

func (h waiterHeap) Len() int { return len(h) }
func (h waiterHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h waiterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *waiterHeap) Push(x any)   { w := x.(*waiter); w.index = len(*h); *h = append(*h, w) }
func (h *waiterHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
func (h waiterHeap) peek() *waiter  { return h[0] }
func (c *StepClock) add(w *waiter)  { c.seq++; w.seq = c.seq; heap.Push(&c.waiters, w) }
func (c *StepClock) drop(w *waiter) { heap.Remove(&c.waiters, w.index) }

// Now is the virtual time.
func (c *StepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since is virtual time elapsed since t.
func (c *StepClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Step moves virtual time to t (never back), firing what is due on the
// way, and returns once every fired channel was received from (one-shot
// timers: or Abandon passed).
func (c *StepClock) Step(t time.Time) {
	type fired struct {
		w      *waiter
		ticker bool
	}
	var out []fired
	c.mu.Lock()
	for len(c.waiters) > 0 && !c.waiters.peek().at.After(t) {
		w := c.waiters.peek()
		if w.at.After(c.now) {
			c.now = w.at
		}
		select {
		case w.ch <- w.at:
		default: // the receiver still holds the last tick: it is dropped, as a real ticker drops it
		}
		out = append(out, fired{w, w.period > 0})
		if w.period > 0 {
			w.at = w.at.Add(w.period)
			heap.Fix(&c.waiters, w.index)
		} else {
			heap.Pop(&c.waiters)
		}
	}
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	defer c.quiesce()
	for _, f := range out {
		// A ticker's receiver always comes back (or stops it); a minute
		// bounds a receiver that exited without stopping it.
		wait := time.Minute
		if !f.ticker {
			wait = c.Abandon
		}
		begin := time.Now()
		for len(f.w.ch) > 0 && time.Since(begin) < wait {
			if f.ticker {
				c.mu.Lock()
				stopped := f.w.index < 0
				c.mu.Unlock()
				if stopped {
					break
				}
			}
			pause(time.Since(begin))
		}
	}
}

// quiesce waits (at most Settle) until no other goroutine has run, been
// runnable or been in a system call for quietFor. Goroutines that sit in a
// system call for good (a profiler's writer) set a floor: the fewest ever
// seen in one. Goroutines in system calls are not waited for:
// some sit in one for good (a profiler's writer), and a file write in
// flight finishes within the next step anyway.
func (c *StepClock) quiesce() {
	start := time.Now()
	deadline, quietSince := start.Add(c.Settle), time.Time{}
	for {
		now := time.Now()
		metrics.Read(c.sched[:])
		running, runnable, syscalls := c.sched[0].Value.Uint64(), c.sched[1].Value.Uint64(), c.sched[2].Value.Uint64()
		if c.syscallFloor < 0 || int64(syscalls) < c.syscallFloor {
			c.syscallFloor = int64(syscalls)
		}
		if running+runnable > 1 || (!c.IgnoreSyscalls && int64(syscalls) > c.syscallFloor) { // more than the caller
			quietSince = time.Time{}
		} else if quietSince.IsZero() {
			quietSince = now
		} else if now.Sub(quietSince) >= quietFor {
			return
		}
		if now.After(deadline) {
			c.Unsettled.Add(1)
			return
		}
		pause(now.Sub(start))
	}
}

// pause lets other goroutines run while waiting: by spinning at first (a
// short sleep lasts a millisecond or more, and a day has 86,400 steps;
// Gosched lets every runnable goroutine go first), then, once the wait has
// lasted, by sleeping, so as not to hold a core others need.
func pause(waited time.Duration) {
	if waited < spinFor {
		runtime.Gosched()
		return
	}
	time.Sleep(50 * time.Microsecond)
}

const spinFor = 200 * time.Microsecond

// quietFor is how long the process must look idle: a goroutine just
// woken by a channel send is not counted runnable at once.
const quietFor = 50 * time.Microsecond

// Advance steps virtual time forward by d in steps of at most step, so
// that no ticker of a period of at least step loses a tick.
func (c *StepClock) Advance(d, step time.Duration) {
	end := c.Now().Add(d)
	for now := c.Now(); now.Before(end); now = c.Now() {
		c.Step(minTime(now.Add(step), end))
	}
}

// Next is when the earliest timer or ticker fires (zero if none).
func (c *StepClock) Next() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return time.Time{}
	}
	return c.waiters.peek().at
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (c *StepClock) newWaiter(d, period time.Duration) *waiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{at: c.now.Add(d), period: period, ch: make(chan time.Time, 1)}
	c.add(w)
	return w
}

// After fires once d of virtual time from now.
func (c *StepClock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// NewTimer fires once d of virtual time from now.
func (c *StepClock) NewTimer(d time.Duration) clock.Timer {
	return &stepTimer{c: c, w: c.newWaiter(d, 0)}
}

// Sleep blocks until virtual time has moved d on.
func (c *StepClock) Sleep(d time.Duration) { <-c.After(d) }

// Tick fires every d of virtual time.
func (c *StepClock) Tick(d time.Duration) <-chan time.Time { return c.NewTicker(d).C() }

// NewTicker fires every d of virtual time.
func (c *StepClock) NewTicker(d time.Duration) clock.Ticker {
	if d <= 0 {
		panic("sim: non-positive ticker period")
	}
	return &stepTicker{c: c, w: c.newWaiter(d, d)}
}

type stepTimer struct {
	c *StepClock
	w *waiter
}

func (t *stepTimer) C() <-chan time.Time { return t.w.ch }

func (t *stepTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.w.index < 0 {
		return false
	}
	t.c.drop(t.w)
	return true
}

func (t *stepTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	active := t.w.index >= 0
	if active {
		t.c.drop(t.w)
	}
	t.w.at = t.c.now.Add(d)
	t.c.add(t.w)
	return active
}

type stepTicker struct {
	c *StepClock
	w *waiter
}

func (t *stepTicker) C() <-chan time.Time { return t.w.ch }

func (t *stepTicker) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.w.index >= 0 {
		t.c.drop(t.w)
	}
}
