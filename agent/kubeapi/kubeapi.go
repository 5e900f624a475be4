// Package kubeapi is the agent's few requests to the Kubernetes API server
// besides its lists and watches (agent/watch): discovery of the resources a
// group version serves, access reviews, the server version, log tails and
// the kube-system namespace's UID. It speaks REST and JSON through one
// client-go REST client, without client-go's clientset: that would link and
// register every API group's types and typed clients, megabytes of memory
// for five requests. It never writes to the cluster (an access review only
// asks).
package kubeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
)

// Client answers the agent's requests; agent.Kube is what it needs of one.
type Client struct {
	rc rest.Interface
}

// New returns a client for the API server cfg describes, sending through
// hc (the agent's one connection pool; nil: one of its own).
func New(cfg *rest.Config, hc *http.Client) (*Client, error) {
	c := rest.CopyConfig(cfg)
	// JSON both ways: these answers are small, and JSON needs no types
	// registered. metav1's Status still decodes, so errors classify
	// (apierrors.IsNotFound, IsForbidden).
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	c.ContentType, c.AcceptContentTypes = "application/json", "application/json"
	c.GroupVersion = &schema.GroupVersion{}
	c.APIPath = "/"
	var err error
	if hc == nil {
		if hc, err = rest.HTTPClientFor(c); err != nil {
			return nil, fmt.Errorf("kubernetes http client: %w", err)
		}
	}
	rc, err := rest.RESTClientForConfigAndClient(c, hc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes rest client: %w", err)
	}
	return &Client{rc: rc}, nil
}

// ServerResourcesForGroupVersion lists the resources a group version
// ("v1", "apps/v1") serves; a group version not served is NotFound.
func (c *Client) ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error) {
	path := "/apis/" + groupVersion
	if groupVersion == "v1" {
		path = "/api/v1"
	}
	var list metav1.APIResourceList
	if err := c.get(context.TODO(), path, &list); err != nil {
		return nil, err
	}
	if list.GroupVersion == "" {
		list.GroupVersion = groupVersion
	}
	return &list, nil
}

// ServerVersion asks the API server its version.
func (c *Client) ServerVersion() (*version.Info, error) {
	var v version.Info
	if err := c.get(context.TODO(), "/version", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateSelfSubjectAccessReview asks whether the agent may do what review
// describes.
func (c *Client) CreateSelfSubjectAccessReview(ctx context.Context, review *authorizationv1.SelfSubjectAccessReview) (*authorizationv1.SelfSubjectAccessReview, error) {
	in := *review
	in.APIVersion, in.Kind = "authorization.k8s.io/v1", "SelfSubjectAccessReview"
	body, err := json.Marshal(&in)
	if err != nil {
		return nil, err
	}
	data, err := c.rc.Post().AbsPath("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").
		SetHeader("Content-Type", "application/json").Body(body).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var out authorizationv1.SelfSubjectAccessReview
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("access review: %w", err)
	}
	return &out, nil
}

// PodLogs reads a container's log as opts bound it (container, previous,
// tail lines, byte limit).
func (c *Client) PodLogs(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) ([]byte, error) {
	req := c.rc.Get().AbsPath("/api/v1/namespaces", namespace, "pods", pod, "log")
	if opts.Container != "" {
		req.Param("container", opts.Container)
	}
	if opts.Previous {
		req.Param("previous", "true")
	}
	if opts.TailLines != nil {
		req.Param("tailLines", strconv.FormatInt(*opts.TailLines, 10))
	}
	if opts.LimitBytes != nil {
		req.Param("limitBytes", strconv.FormatInt(*opts.LimitBytes, 10))
	}
	return req.DoRaw(ctx)
}

// NamespaceUID returns a namespace's UID (the kube-system namespace's
// names the cluster).
func (c *Client) NamespaceUID(ctx context.Context, name string) (types.UID, error) {
	var ns corev1.Namespace
	if err := c.get(ctx, "/api/v1/namespaces/"+name, &ns); err != nil {
		return "", err
	}
	return ns.UID, nil
}

func (c *Client) get(ctx context.Context, path string, into any) error {
	data, err := c.rc.Get().AbsPath(path).DoRaw(ctx)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}
