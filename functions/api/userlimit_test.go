package api

import (
	"context"
	"testing"
	"time"
)

// TestReconstructionSlots: one user runs at most its slots' worth of state
// reconstructions at once; a slot given back serves the next; other users
// have their own.
func TestReconstructionSlots(t *testing.T) {
	l := newUserLimits(100, 100, 2)
	l.wait = 20 * time.Millisecond
	ctx := context.Background()
	r1, ok1 := l.reconstruction(ctx, "ann")
	r2, ok2 := l.reconstruction(ctx, "ann")
	if !ok1 || !ok2 {
		t.Fatal("two slots refused")
	}
	if _, ok := l.reconstruction(ctx, "ann"); ok {
		t.Fatal("a third reconstruction ran at once")
	}
	if r, ok := l.reconstruction(ctx, "bob"); !ok {
		t.Fatal("another user shares the slots")
	} else {
		r()
	}
	r1()
	if r, ok := l.reconstruction(ctx, "ann"); !ok {
		t.Fatal("a freed slot was not reused")
	} else {
		r()
	}
	r2()
}
