package agent_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

func TestSmoke(t *testing.T) {
	env := apiServer(t)
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, b)
	h.create(h.pod("web"))
	a := h.startAgent("a1")
	h.podStatus("web", setRunning)
	time.Sleep(300 * time.Millisecond)
	if err := a.Flush(h.ctx()); err != nil {
		t.Fatal(err)
	}
	pods := readTable(t, b, lake.Pods, h.cluster)
	for _, p := range pods {
		t.Logf("%s %s %s %s rv=%s phase=%s", p.TS.Format(time.RFC3339Nano), p.Op, p.Namespace, p.Name, p.ResourceVersion, p.Phase)
	}
	a.PublishState(h.ctx())
	var cur lake.CurrentState
	if !readJSON(t, b, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur) {
		t.Fatal("no current.json")
	}
	t.Logf("current: %+v", cur.Summary)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	_ = corev1.PodRunning
}
