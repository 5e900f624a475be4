package control

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func testSigner(t testing.TB, kid string) Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{KeyID: kid, Key: priv}
}

func verifierFor(cluster string, signers ...Signer) Verifier {
	v := Verifier{Cluster: cluster, Keys: map[string]ed25519.PublicKey{}}
	for _, s := range signers {
		v.Keys[s.KeyID] = s.Key.Public().(ed25519.PublicKey)
	}
	return v
}

func cmd(cluster, action string, at time.Time) Command {
	return Command{ID: lake.NewULID(at).String(), Cluster: cluster, Action: action,
		Target: Target{Kind: "Pod", Namespace: "shop", Name: "web-1"}, RequestedBy: "alice", Role: "operator",
		Reason: "stuck", CreatedAt: at, Deadline: at.Add(5 * time.Minute)}
}

func TestCommandLifecycle(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	s := testSigner(t, "k1")
	v := verifierFor("c1", s)
	c := cmd("c1", "pod.delete", t0)
	e, err := Submit(ctx, b, s, c)
	if err != nil || e.State != Pending {
		t.Fatalf("submit: %+v %v", e, err)
	}
	// A retried request is the same command.
	retry := c
	retry.CreatedAt, retry.Deadline = t0.Add(time.Second), t0.Add(6*time.Minute)
	if e2, err := Submit(ctx, b, s, retry); err != nil || e2.ID != c.ID {
		t.Fatalf("resubmit: %+v %v", e2, err)
	}
	other := c
	other.Target.Name = "web-2"
	if _, err := Submit(ctx, b, s, other); !errors.Is(err, ErrIDReused) {
		t.Fatalf("another command under a used id: %v", err)
	}
	o, err := Read(ctx, b, "c1")
	if err != nil || len(o.Commands) != 1 || !o.Busy() {
		t.Fatalf("queue after submits: %+v %v", o.Commands, err)
	}
	got, err := ReadCommand(ctx, b, v, c.ID, t0)
	if err != nil || got.Target != c.Target || got.RequestedBy != "alice" {
		t.Fatalf("read command: %+v %v", got, err)
	}
	e, err = Claim(ctx, b, "c1", c.ID, "agent-0", t0.Add(time.Second), time.Minute, DefaultSkew)
	if err != nil || e.State != Running || e.ClaimedBy != "agent-0" {
		t.Fatalf("claim: %+v %v", e, err)
	}
	if _, err := Claim(ctx, b, "c1", c.ID, "agent-1", t0.Add(time.Second), time.Minute, DefaultSkew); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second claim: %v", err)
	}
	if _, err := Cancel(ctx, b, "c1", c.ID, t0); !errors.Is(err, ErrNotPending) {
		t.Fatalf("cancel after claim: %v", err)
	}
	r := Result{ID: c.ID, State: Succeeded, Instance: "agent-0", FinishedAt: t0.Add(2 * time.Second), Summary: "deleted pod shop/web-1"}
	if _, err := Finish(ctx, b, "c1", Result{ID: c.ID, State: Succeeded, Instance: "agent-1", FinishedAt: t0}); err == nil {
		t.Fatal("another instance finished a claimed command")
	}
	if e, err = Finish(ctx, b, "c1", r); err != nil || e.State != Succeeded || e.Summary != r.Summary {
		t.Fatalf("finish: %+v %v", e, err)
	}
	if e, err = Finish(ctx, b, "c1", r); err != nil || e.State != Succeeded {
		t.Fatalf("finish again: %+v %v", e, err)
	}
	if rr, err := ReadResult(ctx, b, "c1", c.ID); err != nil || rr.Summary != r.Summary || rr.Cluster != "c1" {
		t.Fatalf("result: %+v %v", rr, err)
	}
	// Finished entries leave the control object once archived and old.
	if err := Archive(ctx, b, "c1", []string{c.ID}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if o, _ := Read(ctx, b, "c1"); len(o.Commands) != 1 || !o.Commands[0].Archived || o.Busy() {
		t.Fatalf("archived entry: %+v", o.Commands)
	}
	if err := Archive(ctx, b, "c1", nil, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if o, _ := Read(ctx, b, "c1"); len(o.Commands) != 0 {
		t.Fatalf("old archived entries stay: %+v", o.Commands)
	}
}

func TestCancelAndExpiry(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	s := testSigner(t, "k1")
	a := cmd("c1", "pod.delete", t0)
	if _, err := Submit(ctx, b, s, a); err != nil {
		t.Fatal(err)
	}
	if e, err := Cancel(ctx, b, "c1", a.ID, t0.Add(time.Second)); err != nil || e.State != Cancelled {
		t.Fatalf("cancel: %+v %v", e, err)
	}
	if _, err := Claim(ctx, b, "c1", a.ID, "agent-0", t0.Add(2*time.Second), time.Minute, DefaultSkew); !errors.Is(err, ErrNotPending) {
		t.Fatalf("claimed a cancelled command: %v", err)
	}
	late := cmd("c1", "pod.delete", t0.Add(time.Millisecond))
	if _, err := Submit(ctx, b, s, late); err != nil {
		t.Fatal(err)
	}
	// Within the skew it still runs; past deadline + skew never.
	e, err := Claim(ctx, b, "c1", late.ID, "agent-0", late.Deadline.Add(DefaultSkew+time.Second), time.Minute, DefaultSkew)
	if !errors.Is(err, ErrExpired) || e.State != Expired {
		t.Fatalf("claim past the deadline: %+v %v", e, err)
	}
	third := cmd("c1", "pod.delete", t0.Add(2*time.Millisecond))
	if _, err := Submit(ctx, b, s, third); err != nil {
		t.Fatal(err)
	}
	changed, err := ExpirePending(ctx, b, "c1", third.Deadline.Add(time.Hour), DefaultSkew)
	if err != nil || len(changed) != 1 || changed[0].State != Expired {
		t.Fatalf("expire pending: %+v %v", changed, err)
	}
}

// TestRefusals: the agent runs nothing it cannot verify.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	s, other := testSigner(t, "k1"), testSigner(t, "k2")
	v := verifierFor("c1", s)
	c := cmd("c1", "pod.delete", t0)
	good, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(good, t0); err != nil {
		t.Fatalf("good command refused: %v", err)
	}
	tampered := good
	tampered.Payload = []byte(string(good.Payload[:len(good.Payload)-1]) + ` ,"x":1}`)
	forged, _ := other.Sign(c)
	forged.KeyID = "k1" // claims a trusted key
	unknown, _ := other.Sign(c)
	elsewhere, _ := s.Sign(cmd("c2", "pod.delete", t0))
	for name, tc := range map[string]struct {
		s    Signed
		at   time.Time
		want error
	}{
		"unsigned":          {Signed{Payload: good.Payload}, t0, ErrUnsigned},
		"tampered":          {tampered, t0, ErrBadSignature},
		"forged":            {forged, t0, ErrBadSignature},
		"untrusted key":     {unknown, t0, ErrUnknownKey},
		"other cluster":     {elsewhere, t0, ErrWrongCluster},
		"expired":           {good, c.Deadline.Add(DefaultSkew + time.Second), ErrExpired},
		"late within skew!": {good, c.Deadline.Add(DefaultSkew / 2), nil},
	} {
		_, err := v.Verify(tc.s, tc.at)
		if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A command object copied into another cluster's queue is refused
	// there: the signature covers the cluster.
	data, _ := json.Marshal(good)
	if _, err := b.Put(ctx, CommandKey("c2", c.ID), data, store.IfAbsent); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCommand(ctx, b, verifierFor("c2", s), c.ID, t0); !errors.Is(err, ErrWrongCluster) {
		t.Fatalf("copied into c2: %v", err)
	}
	// Keys roll: an agent trusting old and new accepts both.
	both := verifierFor("c1", s, other)
	if _, err := both.Verify(unknown, t0); err != nil {
		t.Fatalf("new key refused during a roll: %v", err)
	}
	// Parsing the configured forms.
	if keys, err := ParseKeys(s.PublicKey() + "," + other.PublicKey()); err != nil || len(keys) != 2 {
		t.Fatalf("parse keys: %v %v", keys, err)
	}
	for _, bad := range []string{"k1", "k1=notbase64!", "=abc", "k1=" + "AAAA"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}

// TestCrashAtEveryStep: an agent stops after each store operation of a
// command's life in turn; what the next agent does is the documented
// outcome, and nothing runs twice unless it is read-only.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	s := testSigner(t, "k1")
	lease := time.Minute
	for _, readOnly := range []bool{false, true} {
		for _, stopAfter := range []string{"submit", "claim", "execute", "result"} {
			t.Run(fmt.Sprintf("readonly=%v/after-%s", readOnly, stopAfter), func(t *testing.T) {
				b := newBucket(t)
				c := cmd("c1", "workload.scale", t0)
				c.ReadOnly = readOnly
				if _, err := Submit(ctx, b, s, c); err != nil {
					t.Fatal(err)
				}
				executions := 0
				if stopAfter != "submit" {
					if _, err := Claim(ctx, b, "c1", c.ID, "agent-0", t0, lease, DefaultSkew); err != nil {
						t.Fatal(err)
					}
					if stopAfter != "claim" {
						executions++
						if stopAfter == "result" {
							r := Result{ID: c.ID, Cluster: "c1", State: Succeeded, Instance: "agent-0", FinishedAt: t0.Add(time.Second)}
							data, _ := json.Marshal(r)
							if _, err := b.Put(ctx, ResultKey("c1", c.ID), data, store.IfAbsent); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
				// The next agent, after the lease ran out.
				later := t0.Add(lease + time.Second)
				if _, err := Recover(ctx, b, "c1", later); err != nil {
					t.Fatal(err)
				}
				o, _ := Read(ctx, b, "c1")
				e, _ := o.Find(c.ID)
				if e.State == Pending {
					if _, err := Claim(ctx, b, "c1", c.ID, "agent-1", later, lease, DefaultSkew); err != nil {
						t.Fatal(err)
					}
					executions++
					if _, err := Finish(ctx, b, "c1", Result{ID: c.ID, State: Succeeded, Instance: "agent-1", FinishedAt: later}); err != nil {
						t.Fatal(err)
					}
					o, _ = Read(ctx, b, "c1")
					e, _ = o.Find(c.ID)
				}
				want := map[string]string{"submit": Succeeded, "claim": Unknown, "execute": Unknown, "result": Succeeded}[stopAfter]
				if readOnly && stopAfter != "result" {
					want = Succeeded // run again: reading twice harms nothing
				}
				if e.State != want {
					t.Fatalf("state %s, want %s", e.State, want)
				}
				if !readOnly && executions > 1 {
					t.Fatalf("a non-read-only command ran %d times", executions)
				}
			})
		}
	}
}

// TestConcurrentSubmittersNoneLostNoneTwice: 20 submitters × 50 commands
// and two agents claiming, finishing and archiving on one control object.
func TestConcurrentSubmittersNoneLostNoneTwice(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	s := testSigner(t, "k1")
	const submitters, each = 20, 50
	var runs sync.Map // id -> *atomic.Int32
	var submitted atomic.Int32
	var wg sync.WaitGroup
	ids := make(chan string, submitters*each)
	for i := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				c := cmd("c1", "pod.delete", t0.Add(time.Duration(i*each+j)*time.Millisecond))
				for {
					_, err := Submit(ctx, b, s, c)
					if errors.Is(err, ErrQueueFull) {
						if err := updateBackoff.Sleep(ctx, 3); err != nil {
							t.Error(err)
							return
						}
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
				// Every submitter retries once, as a client whose
				// response was lost would.
				if j%10 == 0 {
					if _, err := Submit(ctx, b, s, c); err != nil {
						t.Error(err)
					}
				}
				submitted.Add(1)
				ids <- c.ID
			}
		}()
	}
	done := make(chan struct{})
	var agents sync.WaitGroup
	for a := range 2 {
		agents.Add(1)
		go func() {
			defer agents.Done()
			inst := fmt.Sprintf("agent-%d", a)
			for {
				o, err := Read(ctx, b, "c1")
				if err != nil {
					t.Error(err)
					return
				}
				var finished []string
				for _, e := range o.Pending() {
					if _, err := Claim(ctx, b, "c1", e.ID, inst, t0, time.Hour, DefaultSkew); err != nil {
						continue // the other agent was faster
					}
					n, _ := runs.LoadOrStore(e.ID, new(atomic.Int32))
					n.(*atomic.Int32).Add(1)
					if _, err := Finish(ctx, b, "c1", Result{ID: e.ID, State: Succeeded, Instance: inst, FinishedAt: t0}); err != nil {
						t.Error(err)
					}
					finished = append(finished, e.ID)
				}
				if len(finished) > 0 {
					if err := Archive(ctx, b, "c1", finished, t0.Add(time.Hour)); err != nil {
						t.Error(err)
					}
				}
				select {
				case <-done:
					if len(o.Pending()) == 0 {
						return
					}
				default:
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	agents.Wait()
	close(ids)
	n := 0
	for id := range ids {
		n++
		v, ok := runs.Load(id)
		if !ok {
			t.Errorf("command %s lost", id)
			continue
		}
		if k := v.(*atomic.Int32).Load(); k != 1 {
			t.Errorf("command %s ran %d times", id, k)
		}
		if r, err := ReadResult(ctx, b, "c1", id); err != nil || r.State != Succeeded {
			t.Errorf("command %s: result %+v %v", id, r, err)
		}
	}
	if n != submitters*each {
		t.Fatalf("%d commands submitted, want %d", n, submitters*each)
	}
}

// TestRequestStop: a pending command is cancelled, a running one marked
// for its agent, an ended one left alone.
func TestRequestStop(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	s := testSigner(t, "k1")
	pending, running := cmd("c1", "node.drain", t0), cmd("c1", "node.drain", t0.Add(time.Millisecond))
	for _, c := range []Command{pending, running} {
		if _, err := Submit(ctx, b, s, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Claim(ctx, b, "c1", running.ID, "agent-0", t0, time.Minute, DefaultSkew); err != nil {
		t.Fatal(err)
	}
	if e, err := RequestStop(ctx, b, "c1", pending.ID, "bob", t0); err != nil || e.State != Cancelled {
		t.Fatalf("stop pending: %+v %v", e, err)
	}
	e, err := RequestStop(ctx, b, "c1", running.ID, "bob", t0)
	if err != nil || e.State != Running || e.StopRequestedBy != "bob" {
		t.Fatalf("stop running: %+v %v", e, err)
	}
	if e, err = RequestStop(ctx, b, "c1", running.ID, "carol", t0); err != nil || e.StopRequestedBy != "bob" {
		t.Fatalf("stop again: %+v %v", e, err)
	}
	if e, err = Renew(ctx, b, "c1", running.ID, "agent-0", t0, time.Minute, "evicted 1/3"); err != nil || e.StopRequestedBy != "bob" {
		t.Fatalf("renewal hides the request: %+v %v", e, err)
	}
	if _, err := Finish(ctx, b, "c1", Result{ID: running.ID, State: Failed, Instance: "agent-0", FinishedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := RequestStop(ctx, b, "c1", running.ID, "bob", t0); !errors.Is(err, ErrNotPending) {
		t.Fatalf("stop of an ended command: %v", err)
	}
}

// TestSweep: a command's objects go once it is archived and older than
// the cutoff; an active command's stay however old, as do objects that
// are not a command's; one LIST for the prefix.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	s := testSigner(t, "k1")
	done, waiting := cmd("c1", "pod.logs", t0), cmd("c1", "pod.delete", t0.Add(time.Second))
	for _, c := range []Command{done, waiting} {
		if _, err := Submit(ctx, b, s, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Claim(ctx, b, "c1", done.ID, "agent-0", t0, time.Minute, DefaultSkew); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, OutputKey("c1", done.ID), []byte("log line\n"), store.Condition{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Finish(ctx, b, "c1", Result{ID: done.ID, State: Succeeded, Instance: "agent-0", StartedAt: t0, FinishedAt: t0,
		OutputKey: OutputKey("c1", done.ID), OutputBytes: 9}); err != nil {
		t.Fatal(err)
	}
	other := lake.ClusterKey("c1", "commands/README.txt")
	if _, err := b.Put(ctx, other, []byte("x"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	exists := func(key string) bool {
		_, err := b.Stat(ctx, key)
		if err != nil && !store.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	later := time.Now().Add(time.Hour) // every object is older than this
	// Ended but not archived yet: kept.
	if n, err := Sweep(ctx, b, "c1", later); err != nil || n != 0 {
		t.Fatalf("sweep before archiving: %d %v", n, err)
	}
	if err := Archive(ctx, b, "c1", []string{done.ID}, t0); err != nil {
		t.Fatal(err)
	}
	// A cutoff before the objects were written: kept.
	if n, err := Sweep(ctx, b, "c1", time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep of recent objects: %d %v", n, err)
	}
	lists := b.Requests().List
	n, err := Sweep(ctx, b, "c1", later)
	if err != nil || n != 3 {
		t.Fatalf("sweep: deleted %d, want the archived command's 3 objects: %v", n, err)
	}
	if got := b.Requests().List - lists; got != 1 {
		t.Fatalf("sweep listed %d times, want 1", got)
	}
	for _, key := range []string{CommandKey("c1", done.ID), ResultKey("c1", done.ID), OutputKey("c1", done.ID)} {
		if exists(key) {
			t.Fatalf("%s kept", key)
		}
	}
	if !exists(CommandKey("c1", waiting.ID)) || !exists(other) {
		t.Fatal("the pending command's object or a foreign object was deleted")
	}
}
