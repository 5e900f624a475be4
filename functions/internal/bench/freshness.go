package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/watch/watchtest"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// freshnessResult is what measureFreshness saw.
type freshnessResult struct {
	lags      []time.Duration // pod change in the cluster → visible in the API's pods list
	tailPuts  int64           // tail objects written while watched
	statePuts int64           // current.json writes while watched
	window    time.Duration
}

// countingBucket counts PUTs of the tail and of current.json.
type countingBucket struct {
	store.Bucket
	tail, state atomic.Int64
}

func (c *countingBucket) Put(ctx context.Context, key string, data []byte, cond store.Condition) (store.Info, error) {
	switch {
	case strings.HasSuffix(key, "/"+lake.TailKey):
		c.tail.Add(1)
	case strings.HasSuffix(key, "/"+lake.CurrentKey):
		c.state.Add(1)
	}
	return c.Bucket.Put(ctx, key, data, cond)
}

// measureFreshness runs a live cluster — pods on nodes in client-go's fake
// API server, watched by the real agent at its default intervals, writing
// into the bench's MinIO — while a dashboard renews its watch lease. A pod
// restarts at random intervals; each time, the API's pods list is polled
// until it shows the restart.
func measureFreshness(ctx context.Context, b store.Bucket, base, tok string, pods, samples int, logf func(string, ...any)) (freshnessResult, error) {
	const cluster, ns = "fresh-1", "shop"
	kube := fake.NewClientset()
	byGV := map[string]*metav1.APIResourceList{}
	for _, k := range kinds.All() {
		if k.Optional || k.MetadataOnly {
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
	now := metav1.Now()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, UID: "ns-shop"}}, metav1.CreateOptions{}); err != nil {
		return freshnessResult{}, err
	}
	const nodes = 100
	for i := range nodes {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%03d", i), UID: types.UID(fmt.Sprintf("node-%d", i))},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}}}
		if _, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			return freshnessResult{}, err
		}
	}
	pod := func(i int) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%05d", i), Namespace: ns, UID: types.UID(fmt.Sprintf("pod-%d", i)),
			Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%50)}, CreationTimestamp: now},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%03d", i%nodes), Containers: []corev1.Container{{Name: "app", Image: "shop/app:1"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}}}
	}
	for i := range pods {
		if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod(i), metav1.CreateOptions{}); err != nil {
			return freshnessResult{}, err
		}
	}
	counted := &countingBucket{Bucket: b}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := agent.New(agent.Config{Cluster: cluster, Instance: "fresh-agent", Kube: watchtest.Kube(kube), Source: watchtest.Source(kube, nil),
		Store: counted, SkipAccessCheck: true, LogTail: agent.LogTailConfig{Disabled: true}, Logger: quiet})
	if err != nil {
		return freshnessResult{}, err
	}
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()
	defer func() { stop(); <-done }()

	api := func(method, path string, out any) error {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	// The dashboard: renew the watch lease as the web does (every
	// renew_after_seconds while the page is visible).
	watch := func() (time.Duration, error) {
		var w struct {
			RenewAfterSeconds int `json:"renew_after_seconds"`
		}
		err := api("POST", "/api/v1/clusters/"+cluster+"/watch", &w)
		return time.Duration(w.RenewAfterSeconds) * time.Second, err
	}
	// The cluster registers once the agent wrote its first state.
	if err := until(ctx, 2*time.Minute, func() bool {
		var c struct{ Watched bool }
		return a.Ready() && api("GET", "/api/v1/clusters/"+cluster, &c) == nil
	}); err != nil {
		return freshnessResult{}, fmt.Errorf("agent not ready: %w", err)
	}
	renew, err := watch()
	if err != nil {
		return freshnessResult{}, err
	}
	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go func() {
		for {
			select {
			case <-wctx.Done():
				return
			case <-time.After(renew):
				watch()
			}
		}
	}()
	// Watched once the agent's next idle poll saw it (≤ 15 s).
	if err := until(ctx, time.Minute, func() bool {
		var c struct{ Watched bool }
		return api("GET", "/api/v1/clusters/"+cluster, &c) == nil && c.Watched
	}); err != nil {
		return freshnessResult{}, fmt.Errorf("cluster never watched: %w", err)
	}
	logf("freshness: %s watched; measuring %d changes", cluster, samples)
	res := freshnessResult{}
	tail0, state0, start := counted.tail.Load(), counted.state.Load(), time.Now()
	for i := range samples {
		name := fmt.Sprintf("app-%05d", rand.IntN(pods))
		p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return res, err
		}
		restarts := p.Status.ContainerStatuses[0].RestartCount + 1
		p.Status.ContainerStatuses[0].RestartCount = restarts
		changed := time.Now()
		if _, err := kube.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return res, err
		}
		err = until(ctx, time.Minute, func() bool {
			var page struct {
				Items []struct {
					Name     string `json:"name"`
					Restarts int32  `json:"restarts"`
				} `json:"items"`
			}
			if api("GET", "/api/v1/clusters/"+cluster+"/pods?namespace="+ns+"&q="+name+"&limit=5", &page) != nil {
				return false
			}
			for _, it := range page.Items {
				if it.Name == name && it.Restarts == restarts {
					return true
				}
			}
			return false
		})
		if err != nil {
			return res, fmt.Errorf("change %d (%s) never visible: %w", i, name, err)
		}
		res.lags = append(res.lags, time.Since(changed))
		logf("freshness: change %d visible after %.1f s", i, time.Since(changed).Seconds())
		// Changes arrive at random moments, not in step with the agent.
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(time.Duration(500+rand.IntN(6000)) * time.Millisecond):
		}
	}
	res.window = time.Since(start)
	res.tailPuts, res.statePuts = counted.tail.Load()-tail0, counted.state.Load()-state0
	return res, nil
}

// until polls cond every 200 ms (what a user's refresh could do at most)
// until it holds or timeout passes.
func until(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}
