package agent_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// write is one change the generator made through the API.
type write struct {
	uid, rv, op, name string
	at                time.Time // when the API server answered
}

// generator churns pods in the harness namespace: status flips, label
// changes, deletions and creations, a crash-looping pod and Warning events.
type generator struct {
	h        *harness
	mu       sync.Mutex
	writes   []write
	restarts int32 // of the crash-looping pod
	events   int
	stop     chan struct{}
	done     chan struct{}
}

func (g *generator) record(p *corev1.Pod, op string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writes = append(g.writes, write{uid: string(p.UID), rv: p.ResourceVersion, op: op, name: p.Name, at: time.Now()})
}

func (g *generator) run(t *testing.T) {
	h := g.h
	ctx := context.Background()
	defer close(g.done)
	next := 10
	for i := 0; ; i++ {
		select {
		case <-g.stop:
			return
		case <-time.After(40 * time.Millisecond):
		}
		name := fmt.Sprintf("p%d", i%10)
		switch {
		case i%25 == 24: // replace a pod
			if err := h.kube.CoreV1().Pods(h.ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err == nil {
				g.mu.Lock()
				for j := len(g.writes) - 1; j >= 0; j-- {
					if g.writes[j].name == name {
						g.writes = append(g.writes, write{uid: g.writes[j].uid, op: lake.OpDelete, name: name, at: time.Now()})
						break
					}
				}
				g.mu.Unlock()
			}
			p := h.pod(name)
			p.Labels["gen"] = strconv.Itoa(next)
			next++
			created, err := h.kube.CoreV1().Pods(h.ns).Create(ctx, p, metav1.CreateOptions{})
			if err != nil {
				t.Errorf("create: %v", err)
				return
			}
			g.record(created, lake.OpAdd)
		case i%7 == 3: // a crash of the crash-looping pod
			g.mu.Lock()
			g.restarts++
			n := g.restarts
			g.mu.Unlock()
			h.podStatus("crashy", func(p *corev1.Pod) {
				setRunning(p)
				p.Status.ContainerStatuses[0].RestartCount = n
				p.Status.ContainerStatuses[0].Ready = false
				p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
			})
		case i%5 == 1: // a Warning event
			g.mu.Lock()
			g.events++
			n := g.events
			g.mu.Unlock()
			h.create(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: fmt.Sprintf("ev-%d", n)},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: h.ns, Name: name},
				Type:           corev1.EventTypeNormal, Reason: "Pulled", Message: fmt.Sprintf("event %d", n), Count: 1,
				FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now()})
		default: // a status flip
			p := h.podStatus(name, func(p *corev1.Pod) {
				setRunning(p)
				// Something the lake stores changes with every write (a write
				// that only moves managedFields times is, rightly, no change).
				p.Status.Message = fmt.Sprintf("write %d", i)
				if i%2 == 0 {
					p.Status.Conditions[1].Status = corev1.ConditionFalse
					p.Status.ContainerStatuses[0].Ready = false
				}
			})
			g.record(p, lake.OpUpdate)
		}
	}
}

func TestRestartNeitherLosesNorDuplicates(t *testing.T) {
	env := apiServer(t)
	minio := miniotest.Start(t)
	b := minio.NewBucket(t)
	h := newHarness(t, env, b)
	g := &generator{h: h, stop: make(chan struct{}), done: make(chan struct{})}
	for i := range 10 {
		p, err := h.kube.CoreV1().Pods(h.ns).Create(h.ctx(), h.pod(fmt.Sprintf("p%d", i)), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		g.record(p, lake.OpAdd)
	}
	h.create(h.pod("crashy"))
	mod := func(c *agent.Config) { c.AnomalyUpdateInterval = 300 * time.Millisecond }

	a := h.startAgent("agent-a", mod)
	readyA := time.Now()
	go g.run(t)
	time.Sleep(3 * time.Second)
	stopA := time.Now()
	if err := a.stop(); err != nil {
		t.Fatalf("agent a: %v", err)
	}
	time.Sleep(time.Second) // changes nobody watches
	bAgent := h.startAgent("agent-b", mod)
	readyB := time.Now()
	time.Sleep(3 * time.Second)
	close(g.stop)
	<-g.done
	endGen := time.Now()
	time.Sleep(500 * time.Millisecond)
	bAgent.PublishState(h.ctx())
	if err := bAgent.stop(); err != nil {
		t.Fatalf("agent b: %v", err)
	}

	rows := readTable(t, b, lake.Pods, h.cluster)
	type key struct{ uid, rv, op string }
	seen := map[key]int{}
	for _, r := range rows {
		if r.Op != lake.OpCheckpoint {
			seen[key{r.UID, r.ResourceVersion, r.Op}]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("change row %+v recorded %d times", k, n)
		}
	}
	// Every change made while an agent watched is a change row. Changes
	// in the last moments before a stop may be delivered or not (the next
	// start's checkpoint has them), so allow a margin there.
	margin := 500 * time.Millisecond
	covered := func(at time.Time) bool {
		return (at.After(readyA) && at.Before(stopA.Add(-margin))) || (at.After(readyB) && at.Before(endGen))
	}
	rvOf := map[key]bool{}
	for k := range seen {
		rvOf[key{k.uid, k.rv, ""}] = true
		if k.op == lake.OpDelete {
			rvOf[key{k.uid, "", lake.OpDelete}] = true
		}
	}
	checked := 0
	for _, w := range g.writes {
		if !covered(w.at) {
			continue
		}
		checked++
		k := key{w.uid, w.rv, ""}
		if w.op == lake.OpDelete {
			k = key{w.uid, "", lake.OpDelete}
		}
		if !rvOf[k] {
			t.Errorf("lost change: %s %s rv %s at readyA%+v stopA%+v readyB%+v", w.op, w.name, w.rv,
				w.at.Sub(readyA), w.at.Sub(stopA), w.at.Sub(readyB))
		}
	}
	if checked < 50 {
		t.Fatalf("only %d changes checked", checked)
	}

	// The lake's state now (last checkpoint plus the changes after it)
	// equals the API server's.
	var lastCP time.Time
	for _, r := range rows {
		if r.Op == lake.OpCheckpoint && r.TS.After(lastCP) {
			lastCP = r.TS
		}
	}
	latest := map[string]lake.Pod{}
	for _, r := range rows {
		if r.Namespace != h.ns || r.TS.Before(lastCP) || (r.Op == lake.OpCheckpoint && !r.TS.Equal(lastCP)) {
			continue
		}
		if cur, ok := latest[r.UID]; !ok || !r.TS.Before(cur.TS) {
			latest[r.UID] = r
		}
	}
	list, err := h.kube.CoreV1().Pods(h.ns).List(h.ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]string{}
	for _, p := range list.Items {
		live[string(p.UID)] = p.ResourceVersion
	}
	for uid, r := range latest {
		if r.Op == lake.OpDelete {
			if _, ok := live[uid]; ok {
				t.Errorf("lake says %s deleted; it exists", r.Name)
			}
			continue
		}
		if rv, ok := live[uid]; !ok || rv != r.ResourceVersion {
			t.Errorf("pod %s: lake rv %s op %s, API rv %q", r.Name, r.ResourceVersion, r.Op, rv)
		}
	}
	for uid := range live {
		if _, ok := latest[uid]; !ok {
			t.Errorf("pod %s missing from the lake", uid)
		}
	}

	// The crash loop: one anomaly across both agents, counted on.
	fp := anomaly.Fingerprint(h.cluster, anomaly.ContainerCrashLoop, "Pod", h.ns, "crashy", "app")
	var opens int
	var last int32
	for _, r := range readTable(t, b, lake.Anomalies, h.cluster) {
		if r.Fingerprint != fp {
			continue
		}
		if r.State == lake.AnomalyOpen {
			opens++
		}
		if r.Count < last {
			t.Errorf("count went back from %d to %d", last, r.Count)
		}
		last = r.Count
	}
	var cur struct {
		AgentState *struct {
			EventsUntil time.Time `json:"events_until"`
			Anomalies   struct {
				Anomalies []struct {
					Fingerprint string `json:"fingerprint"`
					Count       int32  `json:"count"`
				} `json:"anomalies"`
			} `json:"anomalies"`
		} `json:"agent_state"`
	}
	if !readJSON(t, b, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur) || cur.AgentState == nil {
		t.Fatal("no agent state saved")
	}
	st := cur.AgentState
	var final int32
	for _, a := range st.Anomalies.Anomalies {
		if a.Fingerprint == fp {
			final = a.Count
		}
	}
	g.mu.Lock()
	restarts, events := g.restarts, g.events
	g.mu.Unlock()
	if opens != 1 || final != restarts || last > final {
		t.Errorf("crash loop: %d open rows, final count %d (last row %d), want 1 open row and count %d", opens, final, last, restarts)
	}

	// Every event exactly once, including those created while no agent ran.
	evs := map[string]int{}
	for _, e := range readTable(t, b, lake.Events, h.cluster) {
		if e.Namespace == h.ns {
			evs[e.Name]++
		}
	}
	for i := 1; i <= events; i++ {
		if n := evs[fmt.Sprintf("ev-%d", i)]; n != 1 {
			t.Errorf("event ev-%d recorded %d times", i, n)
		}
	}
	t.Logf("%d writes checked, %d restarts, %d events, %d pod rows", checked, restarts, events, len(rows))
	_ = store.IfAbsent
}
