package timetravel

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/agent/kubeapi"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// stateAtSQL is the documented query, read from docs/agent.md so that the
// documentation is what is tested.
func stateAtSQL(t *testing.T) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "agent.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	_, rest, ok := strings.Cut(s, "<!-- state-at-sql:begin -->")
	body, _, ok2 := strings.Cut(rest, "<!-- state-at-sql:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/agent.md has no state-at-sql block")
	}
	body = strings.TrimSpace(body)
	body = strings.TrimPrefix(body, "```sql")
	return strings.TrimSuffix(strings.TrimSpace(body), "```")
}

// podState is what the comparison looks at.
type podState struct {
	UID, Name, RV, Phase, Node string
	Ready                      bool
	Labels                     string
}

func fromAPI(p *corev1.Pod) podState {
	ready := false
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	return podState{UID: string(p.UID), Name: p.Name, RV: p.ResourceVersion, Phase: string(p.Status.Phase),
		Node: p.Spec.NodeName, Ready: ready, Labels: fmt.Sprint(p.Labels)}
}

func TestStateAtPastMoments(t *testing.T) {
	env := kubetest.Start(t, kubetest.Options{})
	minio := miniotest.Start(t)
	b := minio.NewBucket(t)
	ctx := context.Background()
	k := env.Kube
	ns := "timetravel"
	if _, err := k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	newPod := func(name string) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name, "v": "1"}},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "img:1"}}}}
		if _, err := k.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus := func(name string, phase corev1.PodPhase, ready bool) {
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			p, err := k.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			st := corev1.ConditionFalse
			if ready {
				st = corev1.ConditionTrue
			}
			p.Status.Phase = phase
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.Now()}}
			_, err = k.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	relabel := func(name, v string) {
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			p, err := k.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Labels["v"] = v
			_, err = k.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	remove := func(name string) {
		if err := k.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := func() map[string]podState {
		list, err := k.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]podState{}
		for i := range list.Items {
			s := fromAPI(&list.Items[i])
			out[s.UID] = s
		}
		return out
	}

	for i := range 8 {
		newPod(fmt.Sprintf("web-%d", i))
		setStatus(fmt.Sprintf("web-%d", i), corev1.PodRunning, true)
	}
	kube, err := kubeapi.New(env.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := watch.NewSource(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(agent.Config{Cluster: "tt", Instance: "tt-agent", Kube: kube, Source: src, Store: b,
		SpoolDir: t.TempDir(), StateInterval: 100 * time.Millisecond, FlushAge: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(time.Minute); !a.Ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("agent not ready")
		}
	}
	// settle waits until the agent has seen every write, then takes the
	// moment and the API server's state at it.
	settle := func() (time.Time, map[string]podState) {
		time.Sleep(400 * time.Millisecond)
		at := time.Now().UTC()
		s := snapshot()
		time.Sleep(100 * time.Millisecond)
		return at, s
	}
	at0, s0 := settle() // right after the startup checkpoint

	setStatus("web-1", corev1.PodFailed, false)
	setStatus("web-2", corev1.PodRunning, false)
	relabel("web-3", "2")
	remove("web-4")
	newPod("api-0")
	at1, s1 := settle() // changes since the startup checkpoint

	setStatus("api-0", corev1.PodRunning, true)
	remove("web-5")
	if _, err := a.Checkpoint(ctx, false); err != nil {
		t.Fatal(err)
	}
	relabel("web-3", "3")
	newPod("api-1")
	remove("web-1")
	at2, s2 := settle() // a later checkpoint plus changes after it

	setStatus("web-2", corev1.PodRunning, true) // after every moment asked about
	remove("web-6")
	time.Sleep(300 * time.Millisecond)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	eng, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	q := stateAtSQL(t)
	for i, c := range []struct {
		at   time.Time
		want map[string]podState
	}{{at0, s0}, {at1, s1}, {at2, s2}} {
		got := map[string]podState{}
		err := eng.Query(ctx, query.Request{
			Scopes: []query.Scope{{Table: "pods", Clusters: []string{"tt"}, From: c.at.Add(-2 * time.Hour), To: c.at.Add(time.Microsecond)}},
			SQL:    "SELECT uid, name, resource_version, phase, node, ready, labels FROM (" + q + ")",
			Args:   []any{sql.Named("cluster", "tt"), sql.Named("namespace", ns), sql.Named("at", c.at)},
		}, func(rows *sql.Rows) error {
			for rows.Next() {
				var s podState
				var labels duckdb.OrderedMap
				if err := rows.Scan(&s.UID, &s.Name, &s.RV, &s.Phase, &s.Node, &s.Ready, &labels); err != nil {
					return err
				}
				m := map[string]string{}
				for i, k := range labels.Keys() {
					m[fmt.Sprint(k)] = fmt.Sprint(labels.Values()[i])
				}
				s.Labels = fmt.Sprint(m)
				got[s.UID] = s
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatalf("moment %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("moment %d (%s):\n lake %v\n  api %v", i, c.at.Format(time.RFC3339Nano), names(got), names(c.want))
			for uid, w := range c.want {
				if got[uid] != w {
					t.Errorf("  %s: lake %+v\n       api %+v", w.Name, got[uid], w)
				}
			}
		}
	}
}

func names(m map[string]podState) []string {
	var out []string
	for _, s := range m {
		out = append(out, s.Name+"@"+s.RV)
	}
	sort.Strings(out)
	return out
}
