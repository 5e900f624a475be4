// Package watchtest serves the agent's informers from client-go's fake
// clientsets, for tests and the fleet simulator (agent/sim): the real
// watch package, transforms and handlers over an in-memory API server.
package watchtest

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	apiwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/metadata"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch"
)

// Source lists and watches typed kinds through kube's object tracker (so
// its reactors run, as for the fake's typed clients) and metadata-only
// kinds through meta. A nil meta leaves metadata-only kinds unserved;
// kinds without Go types (CRDs) are never served.
func Source(kube *fake.Clientset, meta metadata.Interface) watch.Source {
	return source{kube: kube, meta: meta}
}

type source struct {
	kube *fake.Clientset
	meta metadata.Interface
}

func (s source) ListWatch(b *rows.Binding, namespace string) cache.ListerWatcher {
	if !b.Namespaced {
		namespace = ""
	}
	gvr := b.GVR()
	switch {
	case b.MetadataOnly:
		if s.meta == nil {
			return nil
		}
		return watch.MetadataListWatch(s.meta, gvr, namespace)
	case b.Object == nil:
		return nil
	}
	gvk := gvr.GroupVersion().WithKind(b.Name)
	return cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(_ context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return s.kube.Invokes(k8stesting.NewListActionWithOptions(gvr, gvk, namespace, opts), b.List.DeepCopyObject())
		},
		WatchFuncWithContext: func(_ context.Context, opts metav1.ListOptions) (apiwatch.Interface, error) {
			return s.kube.InvokesWatch(k8stesting.NewWatchActionWithOptions(gvr, namespace, opts))
		},
	}, s.kube)
}

// Kube adapts a clientset — client-go's fake, or a real one — to what the
// agent asks the API server besides lists and watches (agent.Kube,
// watch.API), as agent/kubeapi answers it in production.
func Kube(k kubernetes.Interface) *Clientset { return &Clientset{k: k} }

// Clientset is a clientset seen as agent.Kube.
type Clientset struct{ k kubernetes.Interface }

func (c *Clientset) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	return c.k.Discovery().ServerResourcesForGroupVersion(gv)
}

func (c *Clientset) ServerVersion() (*version.Info, error) { return c.k.Discovery().ServerVersion() }

func (c *Clientset) CreateSelfSubjectAccessReview(ctx context.Context, r *authorizationv1.SelfSubjectAccessReview) (*authorizationv1.SelfSubjectAccessReview, error) {
	return c.k.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, r, metav1.CreateOptions{})
}

func (c *Clientset) PodLogs(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) ([]byte, error) {
	return c.k.CoreV1().Pods(namespace).GetLogs(pod, opts).DoRaw(ctx)
}
