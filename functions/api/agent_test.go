package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/watch/watchtest"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// TestWithRealAgent runs the real agent (over a client-go fake clientset)
// writing into a real MinIO, and reads what it wrote through the API.
func TestWithRealAgent(t *testing.T) {
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kube := fake.NewClientset()
	// Discovery of the fake clientset knows no API; tell it what a real
	// API server serves: every built-in kind of the registry (the agent
	// skips kinds whose API is absent).
	byGV := map[string]*metav1.APIResourceList{}
	for _, k := range kinds.All() {
		if k.Optional {
			continue
		}
		l := byGV[k.APIVersion()]
		if l == nil {
			l = &metav1.APIResourceList{GroupVersion: k.APIVersion()}
			byGV[k.APIVersion()] = l
			kube.Resources = append(kube.Resources, l)
		}
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: k.Resource, Verbs: metav1.Verbs{"list", "watch", "get"}})
	}
	mk := func(obj any) {
		t.Helper()
		var err error
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = kube.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Node:
			_, err = kube.CoreV1().Nodes().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Pod:
			_, err = kube.CoreV1().Pods(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *appsv1.Deployment:
			_, err = kube.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	now := metav1.Now()
	mk(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", UID: "ns-uid-1"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}})
	mk(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1", UID: "node-uid-1"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	one := int32(1)
	mk(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "dep-uid-1"}, Spec: appsv1.DeploymentSpec{Replicas: &one}})
	pod := func(name, uid string, waiting string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("pod-uid-" + uid), Labels: map[string]string{"app": name}, CreationTimestamp: now},
			Spec: corev1.PodSpec{NodeName: "worker-1", Containers: []corev1.Container{{Name: "app", Image: "shop/" + name + ":1",
				Env: []corev1.EnvVar{{Name: "DB_PASSWORD", Value: "hunter2-literal"}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}}}
		if waiting != "" {
			p.Status.Phase = corev1.PodRunning
			p.Status.Conditions[0].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "app", RestartCount: 7,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: waiting, Message: "back-off restarting"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: now}}}
		}
		return p
	}
	mk(pod("web-1", "1", ""))
	mk(pod("worker-crash", "2", "CrashLoopBackOff"))

	a, err := agent.New(agent.Config{Cluster: "shop-prod", Instance: "agent-test", Kube: watchtest.Kube(kube), Source: watchtest.Source(kube, nil), Kinds: []string{"-Secret"}, Store: b, SkipAccessCheck: true,
		StateInterval: 100 * time.Millisecond, HeartbeatInterval: time.Second, FlushAge: time.Hour, LogTail: agent.LogTailConfig{Disabled: true}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for !a.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("agent not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A change after the start: the pod restarts once more.
	time.Sleep(200 * time.Millisecond)
	p, _ := kube.CoreV1().Pods("shop").Get(ctx, "web-1", metav1.GetOptions{})
	p.Status.ContainerStatuses[0].RestartCount = 1
	p.ResourceVersion = "2"
	if _, err := kube.CoreV1().Pods("shop").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.PublishState(ctx); err != nil {
		t.Fatal(err)
	}

	s := &stack{t: t, srv: srv, bucket: b, tokens: map[auth.Role]string{}}
	s.open(t)
	tok := s.login(t, adminUser, adminPass)

	var clusters struct{ Items []map[string]any }
	if st := s.do(t, "GET", "/api/v1/clusters", tok, nil, &clusters); st != 200 || len(clusters.Items) != 1 || clusters.Items[0]["id"] != "shop-prod" {
		t.Fatalf("clusters: %d %v", st, clusters)
	}
	var f struct {
		Totals   map[string]int
		Clusters []map[string]any
	}
	s.do(t, "GET", "/api/v1/fleet/overview", tok, nil, &f)
	if f.Totals["pods"] != 2 || f.Totals["nodes"] != 1 || f.Totals["online"] != 1 {
		raw, _, _ := b.Get(ctx, "_sys/clusters/shop-prod/current.json", "")
		t.Logf("current.json: %s", raw)
		t.Fatalf("fleet from the agent's current.json: %v", f.Totals)
	}
	var pods page
	if st := s.do(t, "GET", "/api/v1/clusters/shop-prod/pods?namespace=shop", tok, nil, &pods); st != 200 || pods.Total != 2 {
		t.Fatalf("pods from the agent's lake rows: %d %+v", st, pods)
	}
	var crash page
	s.do(t, "GET", "/api/v1/clusters/shop-prod/pods?q=crashloop", tok, nil, &crash)
	if crash.Total != 1 || crash.Items[0]["name"] != "worker-crash" {
		t.Fatalf("free text on waiting reason: %+v", crash.Items)
	}
	var d struct {
		Object map[string]any
		Detail map[string]any
	}
	if st := s.do(t, "GET", "/api/v1/clusters/shop-prod/pods/shop/web-1", tok, nil, &d); st != 200 || d.Object["restarts"] != float64(1) {
		t.Fatalf("detail: %d %v", st, d.Object)
	}
	_, raw, _ := s.raw(t, "GET", "/api/v1/clusters/shop-prod/pods/shop/web-1", tok, nil)
	if strings.Contains(string(raw), "hunter2-literal") {
		t.Fatal("a literal env value reached the API")
	}
	var tl struct {
		Items []struct {
			Op     string
			Fields []map[string]any
		}
	}
	s.do(t, "GET", "/api/v1/clusters/shop-prod/timetravel/timeline?kind=pods&namespace=shop&name=web-1&from=-1h", tok, nil, &tl)
	restartChange := false
	for _, it := range tl.Items {
		for _, fc := range it.Fields {
			restartChange = restartChange || fc["field"] == "restarts"
		}
	}
	if !restartChange {
		t.Fatalf("timeline has no restart change: %+v", tl.Items)
	}
	var an page
	if st := s.do(t, "GET", "/api/v1/clusters/shop-prod/anomalies?state=open&name=worker-crash", tok, nil, &an); st != 200 || an.Total == 0 {
		t.Fatalf("anomalies from the agent's rules: %d %+v", st, an)
	}
	var r struct{ Rows [][]any }
	s.do(t, "POST", "/api/v1/sql", tok, map[string]any{"sql": "SELECT count(DISTINCT uid) FROM pods WHERE namespace = 'shop'"}, &r)
	if len(r.Rows) != 1 || r.Rows[0][0] != float64(2) {
		t.Fatalf("sql over the agent's rows: %v", r.Rows)
	}
	var dep page
	s.do(t, "GET", "/api/v1/clusters/shop-prod/deployments?label="+url.QueryEscape(""), tok, nil, &dep)
	if dep.Total != 1 {
		t.Fatalf("deployments: %+v", dep)
	}
	// Kinds the agent does not collect list as "not collected", with its
	// reason; collected kinds, even empty ones, say so.
	var coll struct {
		Total     int     `json:"total"`
		Collected *bool   `json:"collected"`
		Reason    *string `json:"not_collected_reason"`
	}
	for path, want := range map[string]string{
		"secrets":    "left out by --kinds -Secret", // by choice
		"configmaps": "the source cannot list it",   // no metadata client here
		"pods":       "",
		"services":   "", // collected, none exist
	} {
		coll.Collected, coll.Reason = nil, nil
		if st := s.do(t, "GET", "/api/v1/clusters/shop-prod/"+path, tok, nil, &coll); st != 200 || coll.Collected == nil {
			t.Fatalf("%s: %d, collected missing", path, st)
		}
		switch {
		case want == "" && (!*coll.Collected || coll.Reason != nil):
			t.Errorf("%s: collected %v reason %v, want collected", path, *coll.Collected, coll.Reason)
		case want != "" && (*coll.Collected || coll.Reason == nil || *coll.Reason != want):
			t.Errorf("%s: collected %v reason %v, want not collected: %q", path, *coll.Collected, coll.Reason, want)
		}
	}
}
