package anomaly

import (
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/query/lake"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time                   { return c.t }
func (c *clock) Add(d time.Duration)              { c.t = c.t.Add(d) }
func newClock() *clock                            { return &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)} }
func (c *clock) meta(d time.Duration) metav1.Time { return metav1.NewTime(c.t.Add(d)) }

type recorder struct{ rows []lake.Anomaly }

func (r *recorder) emit(a lake.Anomaly, _ bool) { r.rows = append(r.rows, a) }

func (r *recorder) states() []string {
	var out []string
	for _, a := range r.rows {
		out = append(out, a.Rule+":"+a.State)
	}
	return out
}

func newEngine(c *clock, r *recorder) *Engine {
	return New(Config{Cluster: "c1", Now: c.Now, Emit: r.emit})
}

func crashPod(restarts int32, waiting string, finished metav1.Time) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: "u1"},
		Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", RestartCount: restarts,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				Reason: "Error", ExitCode: 2, Message: "boom", FinishedAt: finished}},
		}}},
	}
	if waiting != "" {
		p.Status.ContainerStatuses[0].State.Waiting = &corev1.ContainerStateWaiting{Reason: waiting, Message: "back-off"}
	} else {
		p.Status.ContainerStatuses[0].State.Running = &corev1.ContainerStateRunning{}
	}
	return p
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func TestCrashLoopCountsRestartsOnce(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := newEngine(c, r)
	src := ObjectKey("Pod", "shop", "web-1")
	e.Observe(src, Pod(crashPod(1, "CrashLoopBackOff", c.meta(0))))
	eq(t, "rows", len(r.rows), 1)
	open := r.rows[0]
	eq(t, "state", open.State, lake.AnomalyOpen)
	eq(t, "rule", open.Rule, ContainerCrashLoop)
	eq(t, "severity", open.Severity, Critical)
	eq(t, "count", open.Count, int32(1))
	eq(t, "container", open.Container, "app")
	eq(t, "exit code", *open.ExitCode, int32(2))
	eq(t, "termination", open.TerminationReason, "Error")
	eq(t, "fingerprint", open.Fingerprint, Fingerprint("c1", ContainerCrashLoop, "Pod", "shop", "web-1", "app"))

	// The same status seen again (resync, relist) adds nothing.
	for range 5 {
		e.Observe(src, Pod(crashPod(1, "CrashLoopBackOff", c.meta(0))))
	}
	// Running between back-offs: not asserted, but within hysteresis.
	c.Add(30 * time.Second)
	e.Observe(src, Pod(crashPod(1, "", c.meta(-30*time.Second))))
	c.Add(30 * time.Second)
	e.Observe(src, Pod(crashPod(2, "CrashLoopBackOff", c.meta(0))))
	c.Add(time.Minute)
	e.Observe(src, Pod(crashPod(4, "CrashLoopBackOff", c.meta(0))))
	e.Tick()
	eq(t, "rows before update interval", len(r.rows), 1)
	c.Add(5 * time.Minute)
	e.Tick()
	eq(t, "rows", len(r.rows), 2)
	eq(t, "update state", r.rows[1].State, lake.AnomalyUpdate)
	eq(t, "update count", r.rows[1].Count, int32(4)) // 1 + (2-1) + (4-2)
	e.Tick()
	eq(t, "no repeated update", len(r.rows), 2)

	// Recovered: resolves only after ClearAfter (10 min) out of back-off.
	e.Observe(src, Pod(crashPod(4, "", c.meta(-time.Minute))))
	c.Add(9 * time.Minute)
	e.Tick()
	eq(t, "still open", len(r.rows), 2)
	c.Add(time.Minute)
	e.Tick()
	eq(t, "rows", len(r.rows), 3)
	eq(t, "resolved", r.rows[2].State, lake.AnomalyResolved)
	eq(t, "resolved count", r.rows[2].Count, int32(4))
	eq(t, "open anomalies", len(e.Open()), 0)
}

func TestOOMKillsArePulses(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := newEngine(c, r)
	src := ObjectKey("Pod", "shop", "web-1")
	oom := func(restarts int32, finished metav1.Time) *corev1.Pod {
		p := crashPod(restarts, "", finished)
		p.Status.ContainerStatuses[0].LastTerminationState.Terminated.Reason = "OOMKilled"
		p.Status.ContainerStatuses[0].LastTerminationState.Terminated.ExitCode = 137
		return p
	}
	e.Observe(src, Pod(oom(1, c.meta(0))))
	eq(t, "rows", len(r.rows), 1)
	eq(t, "rule", r.rows[0].Rule, ContainerOOMKilled)
	eq(t, "exit", *r.rows[0].ExitCode, int32(137))
	first := c.t
	c.Add(time.Minute)
	e.Observe(src, Pod(oom(1, metav1.NewTime(first)))) // same kill
	c.Add(time.Minute)
	second := c.t
	e.Observe(src, Pod(oom(2, metav1.NewTime(second)))) // a new kill
	c.Add(5 * time.Minute)
	e.Tick()
	eq(t, "rows", len(r.rows), 2)
	eq(t, "count", r.rows[1].Count, int32(2))
	eq(t, "last seen", r.rows[1].LastSeen, second)
	// Resolves 15 min after the last kill although the pod still reports it.
	c.t = second.Add(15*time.Minute + time.Second)
	e.Observe(src, Pod(oom(2, metav1.NewTime(second))))
	eq(t, "rows", len(r.rows), 3)
	eq(t, "resolved", r.rows[2].State, lake.AnomalyResolved)
	// And re-observing the old kill does not reopen it.
	e.Observe(src, Pod(oom(2, metav1.NewTime(second))))
	eq(t, "rows", len(r.rows), 3)
}

func TestThresholdAndForget(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := newEngine(c, r)
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p", CreationTimestamp: c.meta(0)},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
				Message: "0/3 nodes are available", LastTransitionTime: c.meta(0)}}}}
	src := ObjectKey("Pod", "shop", "p")
	e.Observe(src, Pod(p))
	c.Add(time.Minute)
	e.Tick()
	eq(t, "pending, no rows", len(r.rows), 0)
	c.Add(time.Minute)
	e.Tick()
	eq(t, "rows", len(r.rows), 1)
	eq(t, "rule", r.rows[0].Rule, PodUnschedulable)
	eq(t, "first seen is when it began", r.rows[0].FirstSeen, c.t.Add(-2*time.Minute))
	e.Forget("Pod", "shop", "p")
	eq(t, "rows", len(r.rows), 2)
	eq(t, "resolved", r.rows[1].State, lake.AnomalyResolved)

	// A condition that clears before its threshold leaves no trace.
	p2 := p.DeepCopy()
	p2.Name = "q"
	p2.Status.Conditions[0].LastTransitionTime = c.meta(0)
	e.Observe(ObjectKey("Pod", "shop", "q"), Pod(p2))
	p2.Status.Phase = corev1.PodRunning
	p2.Status.Conditions = nil
	e.Observe(ObjectKey("Pod", "shop", "q"), Pod(p2))
	c.Add(time.Hour)
	e.Tick()
	eq(t, "rows", len(r.rows), 2)
}

func TestRestoreNeitherDuplicatesNorLoses(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := newEngine(c, r)
	src := ObjectKey("Pod", "shop", "web-1")
	e.Observe(src, Pod(crashPod(3, "CrashLoopBackOff", c.meta(0))))
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
		{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletDown", LastTransitionTime: c.meta(0)}}}}
	e.Observe(ObjectKey("Node", "", "n1"), Node(node))
	eq(t, "rows", len(r.rows), 2)

	data, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	// A new process: the pod restarted twice more while it was down; the
	// node recovered and was deleted.
	c.Add(2 * time.Minute)
	r2 := &recorder{}
	e2 := newEngine(c, r2)
	if err := e2.Restore(s); err != nil {
		t.Fatal(err)
	}
	e2.Tick() // before sync: nothing may clear
	eq(t, "rows before sync", len(r2.rows), 0)
	e2.Observe(src, Pod(crashPod(5, "CrashLoopBackOff", c.meta(0))))
	e2.Synced()
	eq(t, "rows right after sync", len(r2.rows), 0) // the node clears with hysteresis
	c.Add(5 * time.Minute)
	e2.Tick()
	eq(t, "rows", len(r2.rows), 2)
	byRule := map[string]lake.Anomaly{}
	for _, a := range r2.rows {
		byRule[a.Rule] = a
	}
	eq(t, "node", byRule[NodeNotReady].State, lake.AnomalyResolved)
	eq(t, "crash", byRule[ContainerCrashLoop].State, lake.AnomalyUpdate)
	eq(t, "count carried on", byRule[ContainerCrashLoop].Count, int32(3)) // 1 + (5-3)
	r2.rows[1] = byRule[ContainerCrashLoop]
	eq(t, "first seen kept", r2.rows[1].FirstSeen, r.rows[0].FirstSeen)
}

func TestEventPulsesCountEventCounts(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := newEngine(c, r)
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p.1", UID: "e1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "p"},
		Type:           corev1.EventTypeWarning, Reason: "Unhealthy", Message: "Readiness probe failed", Count: 2,
		LastTimestamp: c.meta(0)}
	e.Observe("Event/shop/p.1", Event(ev))
	eq(t, "below repeat threshold", len(r.rows), 0)
	ev.Count = 3
	e.Observe("Event/shop/p.1", Event(ev))
	eq(t, "rows", len(r.rows), 1)
	eq(t, "count", r.rows[0].Count, int32(3))
	// A second Unhealthy event object about the same pod joins it.
	ev2 := ev.DeepCopy()
	ev2.Name, ev2.UID, ev2.Count, ev2.Message = "p.2", "e2", 4, "Liveness probe failed"
	c.Add(6 * time.Minute)
	ev2.LastTimestamp = c.meta(0)
	e.Observe("Event/shop/p.2", Event(ev2))
	e.Observe("Event/shop/p.1", Event(ev)) // re-observed, unchanged
	eq(t, "rows", len(r.rows), 2)
	eq(t, "count", r.rows[1].Count, int32(7))
	c.Add(15*time.Minute + time.Second)
	e.Tick()
	eq(t, "resolved", r.states()[2], EventUnhealthy+":"+lake.AnomalyResolved)
}

func TestEscalationIsImmediate(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := New(Config{Cluster: "c1", Now: c.Now, Emit: r.emit, Rules: []Rule{{Name: DeploymentUnavailable, Severity: Warning}}})
	obs := func(avail int32) []Observation {
		o := Observation{Rule: DeploymentUnavailable, Kind: "Deployment", Namespace: "shop", Name: "web"}
		if avail == 0 {
			o.Severity = Critical
		}
		return []Observation{o}
	}
	e.Observe("Deployment/shop/web", obs(1))
	e.Observe("Deployment/shop/web", obs(0))
	eq(t, "rows", len(r.rows), 2)
	eq(t, "escalated", r.rows[1].Severity, Critical)
	e.Observe("Deployment/shop/web", nil)
	eq(t, "resolved", r.states()[2], DeploymentUnavailable+":"+lake.AnomalyResolved)
}

// TestOpenSaysWhenTheConditionCleared: current.json tells an anomaly whose
// condition holds from one that stopped and resolves at a known moment
// unless it recurs — without writing rows for the flapping.
func TestOpenSaysWhenTheConditionCleared(t *testing.T) {
	c, r := newClock(), &recorder{}
	e := newEngine(c, r)
	src := ObjectKey("Pod", "shop", "web-1")
	e.Observe(src, Pod(crashPod(1, "CrashLoopBackOff", c.meta(0))))
	open := e.Open()
	eq(t, "open", len(open), 1)
	eq(t, "status while crashing", open[0].Status, lake.AnomalyOpen)
	if open[0].ResolvesAt != nil || open[0].ClearedAt != nil {
		t.Fatalf("an ongoing crash loop says when it resolves: %+v", open[0])
	}
	c.Add(time.Minute)
	e.Observe(src, Pod(crashPod(1, "", c.meta(-time.Minute))))
	e.Tick()
	open = e.Open()
	eq(t, "status once running", open[0].Status, lake.AnomalyCleared)
	eq(t, "cleared at", *open[0].ClearedAt, c.Now())
	eq(t, "resolves at", *open[0].ResolvesAt, c.Now().Add(10*time.Minute))
	c.Add(2 * time.Minute)
	e.Observe(src, Pod(crashPod(2, "CrashLoopBackOff", c.meta(0))))
	open = e.Open()
	eq(t, "status when it recurs", open[0].Status, lake.AnomalyOpen)
	if open[0].ResolvesAt != nil {
		t.Fatalf("a recurring crash loop still says it resolves: %+v", open[0])
	}
	for _, row := range r.rows {
		if row.State != lake.AnomalyOpen && row.State != lake.AnomalyUpdate {
			t.Fatalf("flapping wrote a %s row", row.State)
		}
	}
	// A pulse (an OOM kill) is open until its window ends.
	oom := crashPod(3, "", c.meta(0))
	oom.Status.ContainerStatuses[0].LastTerminationState.Terminated.Reason = "OOMKilled"
	e.Observe(ObjectKey("Pod", "shop", "web-1"), Pod(oom))
	for _, o := range e.Open() {
		if o.Rule == ContainerOOMKilled {
			eq(t, "pulse status", o.Status, lake.AnomalyOpen)
			if o.ResolvesAt == nil || !o.ResolvesAt.After(c.Now()) {
				t.Fatalf("pulse without its window's end: %+v", o)
			}
			return
		}
	}
	t.Fatal("no OOM anomaly")
}
