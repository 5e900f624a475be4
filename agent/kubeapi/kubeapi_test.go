package kubeapi_test

import (
	"context"
	"slices"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/agent/kubeapi"
)

// TestAgainstAPIServer asks a real API server everything the agent asks
// besides lists and watches, and checks the answers against the clientset's.
func TestAgainstAPIServer(t *testing.T) {
	env := kubetest.Start(t, kubetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := kubeapi.New(env.Config, nil)
	if err != nil {
		t.Fatal(err)
	}

	for gv, resource := range map[string]string{"v1": "pods", "apps/v1": "deployments", "authorization.k8s.io/v1": "selfsubjectaccessreviews"} {
		list, err := c.ServerResourcesForGroupVersion(gv)
		if err != nil {
			t.Fatalf("%s: %v", gv, err)
		}
		want, err := env.Kube.Discovery().ServerResourcesForGroupVersion(gv)
		if err != nil {
			t.Fatal(err)
		}
		if list.GroupVersion != gv || len(list.APIResources) != len(want.APIResources) {
			t.Errorf("%s: %s with %d resources, the clientset sees %d", gv, list.GroupVersion, len(list.APIResources), len(want.APIResources))
		}
		found := false
		for _, r := range list.APIResources {
			found = found || r.Name == resource && (resource != "pods" || slices.Contains(r.Verbs, "watch"))
		}
		if !found {
			t.Errorf("%s: %s missing", gv, resource)
		}
	}
	if _, err := c.ServerResourcesForGroupVersion("gateway.networking.k8s.io/v1"); !apierrors.IsNotFound(err) {
		t.Errorf("a group version not served: %v, want NotFound", err)
	}

	v, err := c.ServerVersion()
	if err != nil || v.GitVersion == "" || v.Major == "" {
		t.Fatalf("version %+v, %v", v, err)
	}

	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "watch", Resource: "pods"}}}
	res, err := c.CreateSelfSubjectAccessReview(ctx, review)
	if err != nil || !res.Status.Allowed {
		t.Fatalf("cluster-admin may watch pods: %+v, %v", res, err)
	}
	// A client without credentials is answered (and refused) as anonymous.
	anon := rest.AnonymousClientConfig(env.Config)
	ac, err := kubeapi.New(anon, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CreateSelfSubjectAccessReview(ctx, review); !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) {
		t.Errorf("anonymous access review: %v, want forbidden or unauthorized", err)
	}

	uid, err := c.NamespaceUID(ctx, metav1.NamespaceSystem)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := env.Kube.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
	if err != nil || uid == "" || uid != ns.UID {
		t.Fatalf("kube-system UID %q, the clientset sees %q (%v)", uid, ns.UID, err)
	}
	if _, err := c.NamespaceUID(ctx, "no-such-namespace"); !apierrors.IsNotFound(err) {
		t.Errorf("missing namespace: %v, want NotFound", err)
	}

	// envtest runs no kubelet: a pod without a node has an empty log. The
	// API server's validation of the parameters proves they reach it.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
	if _, err := env.Kube.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lines, limit := int64(5), int64(100)
	if _, err := c.PodLogs(ctx, "default", "p", &corev1.PodLogOptions{Container: "c", Previous: true, TailLines: &lines, LimitBytes: &limit}); err != nil {
		t.Errorf("logs: %v", err)
	}
	bad := int64(-1)
	if _, err := c.PodLogs(ctx, "default", "p", &corev1.PodLogOptions{Container: "c", TailLines: &bad}); err == nil {
		t.Error("negative tailLines accepted: the parameter did not reach the API server")
	}
	if _, err := c.PodLogs(ctx, "default", "p", &corev1.PodLogOptions{Container: "c", LimitBytes: &bad}); err == nil {
		t.Error("negative limitBytes accepted: the parameter did not reach the API server")
	}
	if _, err := c.PodLogs(ctx, "default", "p", &corev1.PodLogOptions{Container: "nope"}); !apierrors.IsBadRequest(err) {
		t.Errorf("logs of an unknown container: %v, want BadRequest", err)
	}
	if _, err := c.PodLogs(ctx, "default", "missing", &corev1.PodLogOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("logs of a missing pod: %v, want NotFound", err)
	}
}
