package watch

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	apiwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/atlhyper/atlhyper/agent/rows"
)

// Source lists and watches the API server's objects of one kind, for the
// informers and for the paged detail lists. The agent's is NewSource;
// tests and the simulator serve client-go's fakes (agent/watch/watchtest).
type Source interface {
	// ListWatch lists and watches b's resource in namespace ("": all, and
	// always "" for cluster-scoped kinds). It returns nil if the source
	// cannot serve the kind (the kind is then skipped, with that reason).
	ListWatch(b *rows.Binding, namespace string) cache.ListerWatcher
}

// restSource is the production Source: typed kinds over one REST client
// per group version, speaking protobuf and decoding with a scheme that
// holds only the watched kinds' types (no client-go clientset or informer
// factory is involved); metadata-only kinds through the metadata API;
// kinds without Go types (CRDs) as unstructured JSON.
type restSource struct {
	typed map[schema.GroupVersion]rest.Interface
	meta  metadata.Interface
	dyn   dynamic.Interface
}

// NewSource builds the agent's Source for the API server cfg describes.
// All clients share one HTTP client (one connection pool, cfg's transport
// wrappers).
func NewSource(cfg *rest.Config) (Source, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes http client: %w", err)
	}
	return newRESTSource(cfg, hc)
}

// NewSourceForClient is NewSource sending through hc, an HTTP client
// made for cfg (rest.HTTPClientFor) that other clients share.
func NewSourceForClient(cfg *rest.Config, hc *http.Client) (Source, error) {
	return newRESTSource(cfg, hc)
}

func newRESTSource(cfg *rest.Config, hc *http.Client) (*restSource, error) {
	scheme := runtime.NewScheme()
	var gvs []schema.GroupVersion
	for i := range rows.Bindings {
		b := &rows.Bindings[i]
		if b.Object == nil {
			continue
		}
		gv := b.GVR().GroupVersion()
		scheme.AddKnownTypes(gv, b.Object, b.List)
		if !slices.Contains(gvs, gv) {
			metav1.AddToGroupVersion(scheme, gv)
			gvs = append(gvs, gv)
		}
	}
	codecs := serializer.NewCodecFactory(scheme)
	s := &restSource{typed: map[schema.GroupVersion]rest.Interface{}}
	for _, gv := range gvs {
		c := rest.CopyConfig(cfg)
		c.GroupVersion = &gv
		c.APIPath = "/apis"
		if gv.Group == "" {
			c.APIPath = "/api"
		}
		// WithoutConversion leaves objects as the server sent them, with
		// an empty TypeMeta, as typed clients return them.
		c.NegotiatedSerializer = codecs.WithoutConversion()
		c.ContentType = "application/vnd.kubernetes.protobuf"
		c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
		rc, err := rest.RESTClientForConfigAndClient(c, hc)
		if err != nil {
			return nil, fmt.Errorf("rest client %s: %w", gv, err)
		}
		s.typed[gv] = rc
	}
	var err error
	if s.meta, err = metadata.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	if s.dyn, err = dynamic.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	return s, nil
}

func (s *restSource) ListWatch(b *rows.Binding, namespace string) cache.ListerWatcher {
	gvr := b.GVR()
	if !b.Namespaced {
		namespace = ""
	}
	switch {
	case b.MetadataOnly:
		return MetadataListWatch(s.meta, gvr, namespace)
	case b.Object == nil:
		r := s.dyn.Resource(gvr).Namespace(namespace)
		return listWatch(s.dyn, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return r.List(ctx, opts)
		}, r.Watch)
	}
	rc := s.typed[gvr.GroupVersion()]
	if rc == nil {
		return nil
	}
	return listWatch(rc, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return rc.Get().NamespaceIfScoped(namespace, b.Namespaced).Resource(gvr.Resource).
			VersionedParams(&opts, metav1.ParameterCodec).Timeout(timeout(opts)).Do(ctx).Get()
	}, func(ctx context.Context, opts metav1.ListOptions) (apiwatch.Interface, error) {
		opts.Watch = true
		return rc.Get().NamespaceIfScoped(namespace, b.Namespaced).Resource(gvr.Resource).
			VersionedParams(&opts, metav1.ParameterCodec).Timeout(timeout(opts)).Watch(ctx)
	})
}

// MetadataListWatch lists and watches a resource's metadata
// (PartialObjectMetadata) through client.
func MetadataListWatch(client metadata.Interface, gvr schema.GroupVersionResource, namespace string) cache.ListerWatcher {
	r := client.Resource(gvr).Namespace(namespace)
	return listWatch(client, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return r.List(ctx, opts)
	}, r.Watch)
}

// listWatch assembles a ListerWatcher; client tells the reflector whether
// it may use streaming lists (fake clients cannot).
func listWatch(client any, list cache.ListWithContextFunc, watch cache.WatchFuncWithContext) cache.ListerWatcher {
	return cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{ListWithContextFunc: list, WatchFuncWithContext: watch}, client)
}

// timeout is the client-side timeout a typed client derives from opts.
func timeout(opts metav1.ListOptions) time.Duration {
	if opts.TimeoutSeconds == nil {
		return 0
	}
	return time.Duration(*opts.TimeoutSeconds) * time.Second
}
