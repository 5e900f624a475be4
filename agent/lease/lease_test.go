package lease

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

type partitioned struct {
	store.Bucket
	down atomic.Bool
}

func (p *partitioned) Put(ctx context.Context, key string, data []byte, c store.Condition) (store.Info, error) {
	if p.down.Load() {
		return store.Info{}, store.ErrUnavailable
	}
	return p.Bucket.Put(ctx, key, data, c)
}

func (p *partitioned) Get(ctx context.Context, key, inm string) ([]byte, store.Info, error) {
	if p.down.Load() {
		return nil, store.Info{}, store.ErrUnavailable
	}
	return p.Bucket.Get(ctx, key, inm)
}

func cfg(b store.Bucket, id string) Config {
	return Config{Bucket: b, Key: "_sys/clusters/c1/leader.json", Identity: id,
		Duration: 300 * time.Millisecond, RenewInterval: 50 * time.Millisecond}
}

func TestReleaseHandsOverAtOnce(t *testing.T) {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var leaders atomic.Int32
	aLeading := make(chan struct{})
	aErr := make(chan error, 1)
	go func() {
		aErr <- Run(ctx, cfg(b, "a"), func(ctx context.Context) {
			leaders.Add(1)
			close(aLeading)
			<-ctx.Done()
			leaders.Add(-1)
		})
	}()
	<-aLeading
	bCtx, bCancel := context.WithCancel(context.Background())
	defer bCancel()
	bLeading := make(chan time.Time, 1)
	go Run(bCtx, cfg(b, "b"), func(ctx context.Context) {
		if leaders.Add(1) != 1 {
			t.Error("two leaders")
		}
		bLeading <- time.Now()
		<-ctx.Done()
	})
	time.Sleep(500 * time.Millisecond) // longer than the lease: a renews, b waits
	select {
	case <-bLeading:
		t.Fatal("b took a lease that a renews")
	default:
	}
	stopped := time.Now()
	cancel()
	if err := <-aErr; err != nil {
		t.Fatalf("a: %v", err)
	}
	took := <-bLeading
	if d := took.Sub(stopped); d > 250*time.Millisecond {
		t.Fatalf("b waited %v after a released", d)
	}
}

func TestPartitionedLeaderStepsDown(t *testing.T) {
	fb, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := &partitioned{Bucket: fb}
	aLeading, aStopped := make(chan struct{}), make(chan struct{})
	aErr := make(chan error, 1)
	go func() {
		aErr <- Run(context.Background(), cfg(a, "a"), func(ctx context.Context) {
			close(aLeading)
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), ErrLost) {
				t.Errorf("cause %v", context.Cause(ctx))
			}
			close(aStopped)
		})
	}()
	<-aLeading
	a.down.Store(true) // a cannot renew but keeps leading (spooling)
	bCtx, bCancel := context.WithCancel(context.Background())
	defer bCancel()
	bLeading := make(chan struct{})
	go Run(bCtx, cfg(fb, "b"), func(ctx context.Context) { close(bLeading); <-ctx.Done() })
	select {
	case <-bLeading:
	case <-time.After(3 * time.Second):
		t.Fatal("b never took the expired lease")
	}
	select {
	case <-aStopped:
		t.Fatal("a stepped down without evidence")
	default:
	}
	a.down.Store(false)
	select {
	case <-aStopped:
	case <-time.After(3 * time.Second):
		t.Fatal("a did not step down after its renewal failed")
	}
	if err := <-aErr; !errors.Is(err, ErrLost) {
		t.Fatalf("a returned %v", err)
	}
}
