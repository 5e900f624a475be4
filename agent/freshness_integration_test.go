package agent_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// keyCounter counts PUTs per key and GETs of the control object.
type keyCounter struct {
	store.Bucket
	mu   sync.Mutex
	puts map[string]int
}

func (k *keyCounter) Put(ctx context.Context, key string, data []byte, c store.Condition) (store.Info, error) {
	k.mu.Lock()
	k.puts[key]++
	k.mu.Unlock()
	return k.Bucket.Put(ctx, key, data, c)
}

// extraPuts counts PUTs other than current.json (the heartbeat, which a
// cluster pays for watched or not).
func (k *keyCounter) extraPuts(cluster string) (n int, keys []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, c := range k.puts {
		if key != lake.ClusterKey(cluster, lake.CurrentKey) {
			n += c
			keys = append(keys, key)
		}
	}
	return n, keys
}

// TestWatchedClusterIsFreshUnwatchedCostsNothing: against a real API
// server, a pod that starts crash-looping reaches the API's pods and
// anomaly lists within seconds while someone watches the cluster, although
// the agent flushes only hourly here; while nobody watches, the agent
// writes nothing but its heartbeat object.
func TestWatchedClusterIsFreshUnwatchedCostsNothing(t *testing.T) {
	env := apiServer(t)
	minio := miniotest.Start(t)
	counted := &keyCounter{Bucket: minio.NewBucket(t), puts: map[string]int{}}
	h := newHarness(t, env, counted)
	node := h.ns + "-node"
	h.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}})
	h.create(h.pod("steady"))
	h.podStatus("steady", setRunning)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	h.create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(3)), Selector: sel, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}}}})
	h.deploymentStatus("web", func(d *appsv1.Deployment) {
		d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas = 3, 1, 1, 3
	})

	a := h.startAgent("fresh", func(c *agent.Config) {
		c.AnomalyRules = fastRules()
		c.FlushAge = time.Hour // nothing reaches the lake by flushing during the test
	})
	// The startup checkpoint and the first state are written; from here on
	// an unwatched cluster must add no object but current.json.
	h.eventually("startup checkpoint", 30*time.Second, func() bool {
		var cur lake.CurrentState
		return readJSON(t, counted, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur) &&
			cur.Heartbeat != nil && cur.Heartbeat.LastCheckpoint != nil
	})
	counted.mu.Lock()
	clear(counted.puts)
	counted.mu.Unlock()

	h.create(h.pod("crash"))
	h.podStatus("crash", func(p *corev1.Pod) {
		setRunning(p)
		p.Status.Conditions[1].Status = corev1.ConditionFalse
		p.Status.ContainerStatuses[0].Ready = false
		p.Status.ContainerStatuses[0].RestartCount = 3
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	})
	// The anomaly opens (current.json says so within the state interval)…
	h.eventually("crash loop open in current.json", 30*time.Second, func() bool {
		var cur lake.CurrentState
		if !readJSON(t, counted, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur) {
			return false
		}
		for _, o := range cur.Anomalies {
			if o.Rule == anomaly.ContainerCrashLoop && o.Name == "crash" {
				return true
			}
		}
		return false
	})
	// … and several idle polls pass: no tail, no data object.
	polls := a.Stats().Requests.Get
	h.eventually("idle polls", 30*time.Second, func() bool { return a.Stats().Requests.Get >= polls+3 })
	if n, keys := counted.extraPuts(h.cluster); n != 0 {
		t.Fatalf("an unwatched cluster wrote %d objects besides current.json: %v", n, keys)
	}

	e, err := query.Open(context.Background(), query.Config{Bucket: counted, CacheDir: t.TempDir(), Threads: 2, Tails: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	v, err := lakeview.New(lakeview.Config{Bucket: counted, Engine: e})
	if err != nil {
		t.Fatal(err)
	}
	pods, _ := lakeview.KindByPath("pods")
	crashListed := func() (bool, time.Time) {
		p, err := v.List(h.ctx(), h.cluster, lakeview.ListQuery{Kind: pods, Namespaces: []string{h.ns}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if strings.Contains(string(it), `"name":"crash"`) && strings.Contains(string(it), "CrashLoopBackOff") {
				return true, p.AsOf
			}
		}
		return false, p.AsOf
	}
	if listed, _ := crashListed(); listed {
		t.Fatal("the unwatched cluster's pods list shows an unflushed change")
	}

	// Someone opens the cluster.
	if _, err := control.Watch(h.ctx(), counted, h.cluster, time.Now(), control.MaxWatch); err != nil {
		t.Fatal(err)
	}
	watched := time.Now()
	h.eventually("crash pod in the pods list", 30*time.Second, func() bool { ok, _ := crashListed(); return ok })
	_, asOf := crashListed()
	if asOf.Before(watched) {
		t.Fatalf("list as_of %v is older than the watch (%v)", asOf, watched)
	}
	h.eventually("crash loop in the anomaly list", 30*time.Second, func() bool {
		p, err := v.Records(h.ctx(), lakeview.RecordQuery{Table: lake.Anomalies.Name(), Clusters: []string{h.cluster},
			From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Minute), Latest: true, Key: "fingerprint", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			var row struct{ Rule, Name, State string }
			json.Unmarshal(it, &row)
			if row.Rule == anomaly.ContainerCrashLoop && row.Name == "crash" && row.State == lake.AnomalyOpen {
				return true
			}
		}
		return false
	})
	info, err := v.Cluster(h.ctx(), h.cluster)
	if err != nil || !info.Watched || info.Status != "online" {
		t.Fatalf("cluster info while watched: %+v %v", info, err)
	}
	// The cards count trouble as trouble, whatever the anomaly thresholds.
	o, err := v.Overview(h.ctx(), h.cluster)
	if err != nil {
		t.Fatal(err)
	}
	if p := o.Summary.Pods; p.CrashLooping != 1 || p.NotReady != 1 || p.Ready != 1 {
		t.Fatalf("pod counts %+v: want 1 crash-looping, 1 not ready, 1 ready", p)
	}
	if w := o.Summary.Workloads; w.BelowDesired != 1 || w.Healthy != w.Total-1 {
		t.Fatalf("workload counts %+v: want the 1/3 Deployment below desired and unhealthy", w)
	}
	if n, _ := counted.extraPuts(h.cluster); n == 0 {
		t.Fatal("watched, yet no tail was written")
	}
}
