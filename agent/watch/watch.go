// Package watch runs the agent's informers: one informer per watched kind
// of the registry (query/kinds, bound to Go types by agent/rows), built on
// a Source's list and watch — typed and protobuf-encoded for built-in
// kinds, metadata-only for ConfigMaps and Secrets, unstructured for CRDs —
// every object stripped by Strip before it is cached. It hands every add,
// update and delete to one Handler.
//
// Kinds the agent is told not to collect (--kinds, opt-in kinds), whose
// API the server does not serve, or that RBAC does not let the agent list
// and watch, are skipped with a reason the agent reports (agent.skipped);
// it runs with what it may see. watch never writes to the API server (the
// access checks are SelfSubjectAccessReviews, which only ask).
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/pager"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Operations a Handler sees.
const (
	OpAdd    = lake.OpAdd
	OpUpdate = lake.OpUpdate
	OpDelete = lake.OpDelete
)

// Event is one notification from an informer.
type Event struct {
	Kind string
	Op   string
	Obj  *Object // the new state; on delete, the last known state
	Old  *Object // the previous state, on update
	// Initial marks adds from the informer's initial list (at start and
	// never again: a relist after a watch expiry arrives as updates and
	// deletes against the cache).
	Initial bool
	// Missed marks a delete the watch never delivered: the informer found
	// the object gone when it relisted (watch expired, API server away),
	// and Obj is the last state it knew.
	Missed bool
}

// Handler receives every event, from one goroutine per kind.
type Handler interface {
	Handle(Event)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(Event)

func (f HandlerFunc) Handle(e Event) { f(e) }

// Index names.
const (
	// IndexInvolvedUID indexes Events by involvedObject.uid.
	IndexInvolvedUID = "involved-uid"
	// IndexOwnerUID indexes Jobs by their controller's uid.
	IndexOwnerUID = "owner-uid"
	// IndexService indexes EndpointSlices by "<namespace>/<service>".
	IndexService = "service"
)

// API is what a Set asks the API server besides lists and watches:
// discovery and access reviews (agent/kubeapi; watchtest.Kube over
// client-go's fakes).
type API interface {
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
	CreateSelfSubjectAccessReview(ctx context.Context, review *authorizationv1.SelfSubjectAccessReview) (*authorizationv1.SelfSubjectAccessReview, error)
}

// Config configures a Set.
type Config struct {
	// Kube answers discovery and the access checks.
	Kube API
	// Source lists and watches the objects (NewSource).
	Source Source
	// Namespace limits namespaced kinds to one namespace ("" for all).
	Namespace string
	// Kinds selects the kinds to watch (Select): empty, every kind not
	// opt-in; names, exactly those; "+Name"/"-Name", the default set
	// with opt-in kinds added or kinds taken away.
	Kinds []string
	// SkipAccessCheck trusts RBAC instead of asking with a
	// SelfSubjectAccessReview per kind (for clients that cannot answer one).
	SkipAccessCheck bool
	Logger          *slog.Logger
	// OnWatchError is called whenever a watch drops with an error, after
	// it is logged; the informer then backs off and relists or rewatches.
	OnWatchError func(kind string, err error)
	// MaxDetailBytes bounds an object's detail JSON; a larger detail is
	// replaced by a stub saying so (0: no bound). OnTruncated is told.
	MaxDetailBytes int
	OnTruncated    func(kind string, obj metav1.Object, size int)
	// OnLag, if set, is called for every object received after a kind's
	// initial sync with the time since the API server last wrote it (the
	// newest managedFields time, read before Strip drops them; 1 s
	// resolution): the informer lag.
	OnLag func(kind string, lag time.Duration)
}

// Set is the running informers.
type Set struct {
	cfg       Config
	log       *slog.Logger
	bindings  map[string]*rows.Binding
	informers map[string]cache.SharedIndexInformer
	regs      map[string]cache.ResourceEventHandlerRegistration
	order     []string
	skipped   []lake.SkippedKind
	wg        sync.WaitGroup
}

// New discovers which kinds can be watched and builds their informers;
// Start runs them. A discovery failure other than "not served" is an
// error: the agent cannot tell missing from unreachable.
func New(ctx context.Context, cfg Config, h Handler) (*Set, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Kube == nil || cfg.Source == nil {
		return nil, errors.New("watch: a Kubernetes client and a source are required")
	}
	s := &Set{cfg: cfg, log: cfg.Logger, bindings: map[string]*rows.Binding{},
		informers: map[string]cache.SharedIndexInformer{}, regs: map[string]cache.ResourceEventHandlerRegistration{}}
	want, unwanted, err := Select(cfg.Kinds)
	if err != nil {
		return nil, err
	}
	for _, sk := range unwanted {
		s.skip(slog.LevelInfo, sk.Kind, sk.Reason)
	}
	served, err := s.discover(want)
	if err != nil {
		return nil, err
	}
	for _, b := range want {
		if _, ok := served[b.Name]; !ok {
			continue // skipped by discover
		}
		if !cfg.SkipAccessCheck {
			if reason := s.access(ctx, b); reason != "" {
				s.skip(slog.LevelWarn, b.Name, reason)
				continue
			}
		}
		lw := cfg.Source.ListWatch(b, cfg.Namespace)
		if lw == nil {
			s.skip(slog.LevelWarn, b.Name, "the source cannot list it")
			continue
		}
		inf := cache.NewSharedIndexInformerWithOptions(lw, example(b), cache.SharedIndexInformerOptions{
			Indexers: cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}, ObjectDescription: b.Name})
		kind := b.Name
		if err := inf.SetTransform(func(obj any) (any, error) { return s.transform(kind, obj) }); err != nil {
			return nil, err
		}
		if err := addIndexers(kind, inf); err != nil {
			return nil, err
		}
		if err := inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
			s.watchError(kind, err)
		}); err != nil {
			return nil, err
		}
		reg, err := inf.AddEventHandler(handlerFor(kind, h))
		if err != nil {
			return nil, err
		}
		s.bindings[kind], s.informers[kind], s.regs[kind] = b, inf, reg
		s.order = append(s.order, kind)
	}
	return s, nil
}

// example is the object type an informer of b holds.
func example(b *rows.Binding) runtime.Object {
	switch {
	case b.MetadataOnly:
		return &metav1.PartialObjectMetadata{}
	case b.Object == nil:
		return &unstructured.Unstructured{}
	}
	return b.Object
}

// Select resolves a kind selection (Config.Kinds) into the bindings to
// watch and the kinds left out, with why. Empty: every kind that is not
// opt-in. Plain names: exactly those. "+Name" and "-Name" (not mixed with
// plain names): the default set plus or minus those kinds.
func Select(names []string) (want []*rows.Binding, left []lake.SkippedKind, err error) {
	chosen := map[string]bool{}
	for i := range rows.Bindings {
		chosen[rows.Bindings[i].Name] = !rows.Bindings[i].OptIn
	}
	plain, delta := false, false
	for _, n := range names {
		op, name := byte(0), n
		if n != "" && (n[0] == '+' || n[0] == '-') {
			op, name = n[0], n[1:]
		}
		if _, ok := rows.BindingOf(name); !ok {
			return nil, nil, fmt.Errorf("unknown kind %q", name)
		}
		switch op {
		case 0:
			if !plain {
				clear(chosen)
				plain = true
			}
			chosen[name] = true
		case '+':
			chosen[name], delta = true, true
		case '-':
			chosen[name], delta = false, true
		}
	}
	if plain && delta {
		return nil, nil, errors.New("kinds: give either names or +name/-name changes to the default set, not both")
	}
	for i := range rows.Bindings {
		b := &rows.Bindings[i]
		switch {
		case chosen[b.Name]:
			want = append(want, b)
		case plain:
			left = append(left, lake.SkippedKind{Kind: b.Name, Reason: "not in --kinds"})
		case b.OptIn:
			left = append(left, lake.SkippedKind{Kind: b.Name, Reason: "opt-in: collected with --kinds +" + b.Name})
		default:
			left = append(left, lake.SkippedKind{Kind: b.Name, Reason: "left out by --kinds -" + b.Name})
		}
	}
	return want, left, nil
}

func (s *Set) skip(level slog.Level, kind, reason string) {
	s.log.Log(context.Background(), level, "not watching kind", "kind", kind, "reason", reason)
	s.skipped = append(s.skipped, lake.SkippedKind{Kind: kind, Reason: reason})
}

// discover returns the kinds whose resource the server serves (value "")
// and, in the map's absence, why not.
func (s *Set) discover(want []*rows.Binding) (map[string]string, error) {
	byGV := map[schema.GroupVersion][]*rows.Binding{}
	var gvs []schema.GroupVersion
	for _, b := range want {
		gv := b.GVR().GroupVersion()
		if byGV[gv] == nil {
			gvs = append(gvs, gv)
		}
		byGV[gv] = append(byGV[gv], b)
	}
	served := map[string]string{}
	for _, gv := range gvs {
		ks := byGV[gv]
		list, err := s.cfg.Kube.ServerResourcesForGroupVersion(gv.String())
		if apierrors.IsNotFound(err) {
			for _, k := range ks {
				s.skip(absentLevel(k), k.Name, fmt.Sprintf("API %s not served", gv))
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("discover %s: %w", gv, err)
		}
		for _, k := range ks {
			found := false
			for _, r := range list.APIResources {
				if r.Name == k.Resource && slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "watch") {
					found = true
				}
			}
			if found {
				served[k.Name] = ""
			} else {
				s.skip(absentLevel(k), k.Name, fmt.Sprintf("resource %s not served by %s", k.Resource, gv))
			}
		}
	}
	return served, nil
}

// absentLevel logs an optional kind's absence (a CRD not installed) as
// news, a built-in kind's as a warning.
func absentLevel(b *rows.Binding) slog.Level {
	if b.Optional {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// access asks whether the agent may list and watch kind; "" means yes. If
// the review itself fails the agent tries anyway and the informer logs
// what the server says.
func (s *Set) access(ctx context.Context, k *rows.Binding) string {
	ns := ""
	if k.Namespaced {
		ns = s.cfg.Namespace
	}
	for _, verb := range []string{"list", "watch"} {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb,
				Group: k.Group, Version: k.Version, Resource: k.Resource}}}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := s.cfg.Kube.CreateSelfSubjectAccessReview(rctx, review)
		cancel()
		if err != nil {
			s.log.Warn("access review failed; watching anyway", "kind", k.Name, "error", err)
			return ""
		}
		if !res.Status.Allowed {
			reason := fmt.Sprintf("forbidden: RBAC does not allow %s %s", verb, k.Resource)
			if res.Status.Reason != "" {
				reason += " (" + res.Status.Reason + ")"
			}
			return reason
		}
	}
	return ""
}

func (s *Set) watchError(kind string, err error) {
	switch {
	case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
		s.log.Info("watch expired; informer relists", "kind", kind, "error", err)
	case errors.Is(err, io.EOF):
		return // closed normally
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.log.Info("watch closed unexpectedly; informer rewatches", "kind", kind, "error", err)
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		s.log.Error("watch refused; informer retries with backoff", "kind", kind, "error", err)
	default:
		s.log.Warn("watch failed; informer retries with backoff", "kind", kind, "error", err)
	}
	if s.cfg.OnWatchError != nil {
		s.cfg.OnWatchError(kind, err)
	}
}

func handlerFor(kind string, h Handler) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if o, ok := obj.(*Object); ok {
				h.Handle(Event{Kind: kind, Op: OpAdd, Obj: o, Initial: initial})
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			n, ok := newObj.(*Object)
			if !ok {
				return
			}
			o, _ := oldObj.(*Object)
			h.Handle(Event{Kind: kind, Op: OpUpdate, Obj: n, Old: o})
		},
		DeleteFunc: func(obj any) {
			missed := false
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj, missed = d.Obj, true
			}
			if o, ok := obj.(*Object); ok {
				h.Handle(Event{Kind: kind, Op: OpDelete, Obj: o, Missed: missed})
			}
		},
	}
}

func addIndexers(kind string, inf cache.SharedIndexInformer) error {
	switch kind {
	case rows.KindEvent:
		return inf.AddIndexers(cache.Indexers{IndexInvolvedUID: func(obj any) ([]string, error) {
			if e, ok := Unwrap(obj).(*corev1.Event); ok && e.InvolvedObject.UID != "" {
				return []string{string(e.InvolvedObject.UID)}, nil
			}
			return nil, nil
		}})
	case rows.KindJob:
		return inf.AddIndexers(cache.Indexers{IndexOwnerUID: func(obj any) ([]string, error) {
			if j, ok := Unwrap(obj).(*batchv1.Job); ok {
				if ref := metav1.GetControllerOf(j); ref != nil {
					return []string{string(ref.UID)}, nil
				}
			}
			return nil, nil
		}})
	case rows.KindEndpointSlice:
		return inf.AddIndexers(cache.Indexers{IndexService: func(obj any) ([]string, error) {
			if e, ok := Unwrap(obj).(*discoveryv1.EndpointSlice); ok {
				if svc := e.Labels[discoveryv1.LabelServiceName]; svc != "" {
					return []string{e.Namespace + "/" + svc}, nil
				}
			}
			return nil, nil
		}})
	}
	return nil
}

// transform turns what the API server sent into the cache form: informer
// lag measured, then Strip, then wrap (detail, hash, slim). It runs in the
// reflector, as each object arrives.
func (s *Set) transform(kind string, obj any) (any, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		inner, err := s.transform(kind, d.Obj)
		if err != nil {
			return nil, err
		}
		d.Obj = inner
		return d, nil
	}
	if _, ok := obj.(*Object); ok {
		return obj, nil // already transformed
	}
	m, ok := obj.(metav1.Object)
	if !ok || kind == "" {
		return obj, nil
	}
	if s.cfg.OnLag != nil {
		if reg, ok := s.regs[kind]; ok && reg.HasSynced() {
			var newest time.Time
			for _, f := range m.GetManagedFields() {
				if f.Time != nil && f.Time.After(newest) {
					newest = f.Time.Time
				}
			}
			if !newest.IsZero() {
				s.cfg.OnLag(kind, time.Since(newest))
			}
		}
	}
	if _, err := Strip(obj); err != nil {
		return nil, err
	}
	o, err := wrap(kind, m, s.cfg.MaxDetailBytes)
	if err != nil {
		s.log.Error("cannot encode object; cached with a stub detail", "kind", kind,
			"namespace", m.GetNamespace(), "name", m.GetName(), "error", err)
	}
	if o.truncated > 0 && s.cfg.OnTruncated != nil {
		s.cfg.OnTruncated(kind, m, o.truncated)
	}
	return o, nil
}

// Start runs the informers until ctx ends; Wait waits for them to stop.
func (s *Set) Start(ctx context.Context) {
	for _, kind := range s.order {
		inf := s.informers[kind]
		s.wg.Go(func() { inf.RunWithContext(ctx) })
	}
}

// Wait blocks until the informers have stopped after their context ended.
func (s *Set) Wait() { s.wg.Wait() }

// Synced reports whether every informer has listed and the handler has
// seen every object of the initial lists.
func (s *Set) Synced() bool {
	for _, r := range s.regs {
		if !r.HasSynced() {
			return false
		}
	}
	return true
}

// WaitForSync waits until Synced or ctx ends.
func (s *Set) WaitForSync(ctx context.Context) bool {
	fns := make([]cache.InformerSynced, 0, len(s.regs))
	for _, r := range s.regs {
		fns = append(fns, r.HasSynced)
	}
	return cache.WaitForCacheSync(ctx.Done(), fns...)
}

// Unsynced lists the kinds still in their initial sync.
func (s *Set) Unsynced() []string {
	var out []string
	for _, k := range s.order {
		if !s.regs[k].HasSynced() {
			out = append(out, k)
		}
	}
	return out
}

// Watched lists the watched kinds in start order.
func (s *Set) Watched() []string { return slices.Clone(s.order) }

// Skipped lists kinds that are not watched, and why.
func (s *Set) Skipped() []lake.SkippedKind { return slices.Clone(s.skipped) }

// Store is kind's cache, or nil when it is not watched. It holds *Object.
func (s *Set) Store(kind string) cache.Indexer {
	if inf, ok := s.informers[kind]; ok {
		return inf.GetIndexer()
	}
	return nil
}

// Cached returns the cache entries of kind.
func (s *Set) Cached(kind string) []*Object {
	st := s.Store(kind)
	if st == nil {
		return nil
	}
	list := st.List()
	out := make([]*Object, 0, len(list))
	for _, o := range list {
		if c, ok := o.(*Object); ok {
			out = append(out, c)
		}
	}
	return out
}

// List returns the cached (slim, typed) objects of kind.
func (s *Set) List(kind string) []any {
	return unwrapAll(s.Store(kind), func(st cache.Indexer) ([]any, error) { return st.List(), nil })
}

// ByIndex returns the cached objects of kind under an index value.
func (s *Set) ByIndex(kind, index, value string) []any {
	return unwrapAll(s.Store(kind), func(st cache.Indexer) ([]any, error) { return st.ByIndex(index, value) })
}

func unwrapAll(st cache.Indexer, get func(cache.Indexer) ([]any, error)) []any {
	if st == nil {
		return nil
	}
	objs, err := get(st)
	if err != nil {
		return nil
	}
	for i := range objs {
		objs[i] = Unwrap(objs[i])
	}
	return objs
}

// Get returns the cached object of kind with key "<ns>/<name>" or "<name>".
func (s *Set) Get(kind, key string) (any, bool) {
	st := s.Store(kind)
	if st == nil {
		return nil, false
	}
	obj, ok, err := st.GetByKey(key)
	return Unwrap(obj), ok && err == nil
}

// Counts returns the number of cached objects per watched kind.
func (s *Set) Counts() map[string]int {
	out := make(map[string]int, len(s.informers))
	for k, inf := range s.informers {
		out[k] = len(inf.GetIndexer().ListKeys())
	}
	return out
}

// ListDetails reads every object of kind from the API server, page by
// page, and hands fn each one's detail JSON (stripped as the cache is). It
// is how checkpoints get the details the cache does not keep: a few LIST
// requests a day, memory bounded by one page.
func (s *Set) ListDetails(ctx context.Context, kind string, pageSize int64, maxDetail int,
	fn func(obj metav1.Object, detail []byte) error) error {
	b, ok := s.bindings[kind]
	if !ok {
		return nil
	}
	lw := cache.ToListerWatcherWithContext(s.cfg.Source.ListWatch(b, s.cfg.Namespace))
	p := pager.New(lw.ListWithContext)
	p.PageSize = pageSize
	// One page fetched ahead, not the pager's default ten: a page of 500
	// whole pods is megabytes, ten of them the agent's peak.
	p.PageBufferSize = 0
	return p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		m, ok := obj.(metav1.Object)
		if !ok {
			return nil
		}
		data, err := Detail(kind, m, maxDetail)
		if err != nil {
			s.log.Error("cannot encode object detail; skipped", "kind", kind, "namespace", m.GetNamespace(),
				"name", m.GetName(), "error", err)
			return nil
		}
		return fn(m, data)
	})
}
