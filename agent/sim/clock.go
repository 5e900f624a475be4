package sim

import (
	"time"

	"k8s.io/utils/clock"
)

// ScaledClock runs virtual time at Speed times real time from Start. The
// agent reads every time and every timer through it, so a simulated fleet
// can replay a week in minutes (Speed 3600: an hour a second) or run live
// (Speed 1, Start now).
type ScaledClock struct {
	start  time.Time // real
	vstart time.Time // virtual
	speed  float64
}

var _ clock.WithTicker = (*ScaledClock)(nil)

// NewScaledClock starts virtual time at vstart, now.
func NewScaledClock(vstart time.Time, speed float64) *ScaledClock {
	if speed <= 0 {
		speed = 1
	}
	return &ScaledClock{start: time.Now(), vstart: vstart, speed: speed}
}

// Speed is virtual seconds per real second.
func (c *ScaledClock) Speed() float64 { return c.speed }

// Now is the virtual time.
func (c *ScaledClock) Now() time.Time {
	return c.vstart.Add(time.Duration(float64(time.Since(c.start)) * c.speed))
}

// Since is virtual time elapsed since t.
func (c *ScaledClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Real converts a virtual duration to real time (at least a millisecond,
// so no ticker spins).
func (c *ScaledClock) Real(d time.Duration) time.Duration {
	return max(time.Duration(float64(d)/c.speed), time.Millisecond)
}

func (c *ScaledClock) After(d time.Duration) <-chan time.Time {
	return c.NewTimer(d).C()
}

func (c *ScaledClock) NewTimer(d time.Duration) clock.Timer {
	t := &scaledTimer{c: c, out: make(chan time.Time, 1)}
	t.t = time.AfterFunc(c.Real(d), t.fire)
	return t
}

func (c *ScaledClock) Sleep(d time.Duration) { time.Sleep(c.Real(d)) }

func (c *ScaledClock) Tick(d time.Duration) <-chan time.Time { return c.NewTicker(d).C() }

func (c *ScaledClock) NewTicker(d time.Duration) clock.Ticker {
	t := &scaledTicker{c: c, out: make(chan time.Time, 1), done: make(chan struct{})}
	t.t = time.NewTicker(c.Real(d))
	go t.run()
	return t
}

// scaledTimer delivers virtual time on fire.
type scaledTimer struct {
	c   *ScaledClock
	t   *time.Timer
	out chan time.Time
}

func (t *scaledTimer) fire() {
	select {
	case t.out <- t.c.Now():
	default:
	}
}

func (t *scaledTimer) C() <-chan time.Time { return t.out }
func (t *scaledTimer) Stop() bool          { return t.t.Stop() }
func (t *scaledTimer) Reset(d time.Duration) bool {
	return t.t.Reset(t.c.Real(d))
}

type scaledTicker struct {
	c    *ScaledClock
	t    *time.Ticker
	out  chan time.Time
	done chan struct{}
}

func (t *scaledTicker) run() {
	for {
		select {
		case <-t.done:
			return
		case <-t.t.C:
			select {
			case t.out <- t.c.Now():
			default:
			}
		}
	}
}

func (t *scaledTicker) C() <-chan time.Time { return t.out }

func (t *scaledTicker) Stop() {
	select {
	case <-t.done:
	default:
		t.t.Stop()
		close(t.done)
	}
}
