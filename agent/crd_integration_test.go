package agent_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// httpRouteCRD is the least of Gateway API's HTTPRoute CRD the agent
// needs: the group, version and resource it watches.
const httpRouteCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.networking.k8s.io
  # *.k8s.io groups need it; the real Gateway API CRDs carry the same.
  annotations: {api-approved.kubernetes.io: "https://github.com/kubernetes-sigs/gateway-api/pull/2466"}
spec:
  group: gateway.networking.k8s.io
  scope: Namespaced
  names: {plural: httproutes, singular: httproute, kind: HTTPRoute, listKind: HTTPRouteList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// TestOptionalCRDKind: a kind from a CRD (Gateway API HTTPRoute) is
// skipped, with its reason, while the CRD is absent, and collected like
// any other kind once it is installed.
func TestOptionalCRDKind(t *testing.T) {
	env := apiServer(t)
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	skipped := func(h *harness) []lake.SkippedKind {
		t.Helper()
		var cur lake.CurrentState
		h.eventually("heartbeat", 30*time.Second, func() bool {
			return readJSON(t, b, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur) && cur.Heartbeat != nil
		})
		return cur.Heartbeat.Agent.Skipped
	}
	const reason = "API gateway.networking.k8s.io/v1 not served"

	// Absent: skipped, and said why.
	h := newHarness(t, env, b)
	a := h.startAgent("before")
	if !slices.Contains(skipped(h), lake.SkippedKind{Kind: "HTTPRoute", Reason: reason}) {
		t.Fatalf("skipped %v, want HTTPRoute: %s", skipped(h), reason)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	// Installed: collected.
	manifest := filepath.Join(t.TempDir(), "httproute.yaml")
	if err := os.WriteFile(manifest, []byte(httpRouteCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := envtest.CRDInstallOptions{Paths: []string{manifest}, MaxTime: time.Minute}
	if _, err := envtest.InstallCRDs(env.Config, opts); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	t.Cleanup(func() {
		// Leave the shared API server as other tests expect it: without the CRD.
		if err := envtest.UninstallCRDs(env.Config, opts); err != nil {
			t.Error(err)
		}
		h.eventually("CRD gone", time.Minute, func() bool {
			_, err := env.Kube.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
			return apierrors.IsNotFound(err)
		})
	})
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, env, b)
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "shop", "namespace": h2.ns},
		"spec": map[string]any{"hostnames": []any{"shop.example"}, "rules": []any{map[string]any{
			"backendRefs": []any{map[string]any{"name": "web", "port": int64(80)}}}}},
	}}
	if _, err := dyn.Resource(gvr).Namespace(h2.ns).Create(h2.ctx(), route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a2 := h2.startAgent("after")
	for _, s := range skipped(h2) {
		if s.Kind == "HTTPRoute" {
			t.Fatalf("HTTPRoute still skipped with the CRD installed: %s", s.Reason)
		}
	}
	// A change after the start is recorded too.
	route.Object["spec"].(map[string]any)["hostnames"] = []any{"shop.example", "www.shop.example"}
	got, err := dyn.Resource(gvr).Namespace(h2.ns).Get(h2.ctx(), "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	route.SetResourceVersion(got.GetResourceVersion())
	if _, err := dyn.Resource(gvr).Namespace(h2.ns).Update(h2.ctx(), route, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var rows []lake.Object
	h2.eventually("HTTPRoute rows", 30*time.Second, func() bool {
		if err := a2.Flush(h2.ctx()); err != nil {
			t.Fatal(err)
		}
		rows = nil
		for _, r := range readTable(t, b, lake.Objects, h2.cluster) {
			if r.Kind == "HTTPRoute" && r.Namespace == h2.ns {
				rows = append(rows, r)
			}
		}
		return len(rows) >= 2 && len(rows[len(rows)-1].Hosts) == 2
	})
	first, last := rows[0], rows[len(rows)-1]
	if first.Op != lake.OpCheckpoint || !slices.Equal(first.Hosts, []string{"shop.example"}) || !slices.Equal(first.Backends, []string{"web:80"}) {
		t.Errorf("checkpoint row: %s hosts %v backends %v", first.Op, first.Hosts, first.Backends)
	}
	if last.Op != lake.OpUpdate || !slices.Equal(last.Hosts, []string{"shop.example", "www.shop.example"}) {
		t.Errorf("update row: %s hosts %v", last.Op, last.Hosts)
	}
	details := readTable(t, b, lake.Details, h2.cluster)
	found := false
	for _, d := range details {
		found = found || (d.Kind == "HTTPRoute" && d.Name == "shop" && contains(d.Object, `"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute"`))
	}
	if !found {
		t.Error("no HTTPRoute detail row")
	}
}
