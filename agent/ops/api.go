package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// API is the Kubernetes API as the actions use it: raw requests by path,
// JSON in and out. Errors for responses other than 2xx must be
// *apierrors.StatusError (k8s.io/apimachinery/pkg/api/errors), as
// client-go returns them: the actions branch on not found, conflict,
// forbidden and too many requests (a PodDisruptionBudget refusing an
// eviction).
type API interface {
	Do(ctx context.Context, r Request) ([]byte, error)
	// Stream returns the body of a GET (pod logs) as it arrives.
	Stream(ctx context.Context, r Request) (io.ReadCloser, error)
}

// Request is one call of the Kubernetes API.
type Request struct {
	Method string // GET, POST, PUT, PATCH, DELETE
	Path   string // absolute, e.g. /apis/apps/v1/namespaces/shop/deployments/web
	Query  url.Values
	// ContentType is the body's type (a patch type for PATCH); default
	// application/json.
	ContentType string
	Accept      string // default application/json
	Body        []byte
}

// REST serves API with client-go's REST client (its authentication,
// rate limit and retries).
type REST struct{ c *rest.RESTClient }

var _ API = (*REST)(nil)

// NewREST builds a REST client from cfg, speaking JSON whatever cfg says.
func NewREST(cfg *rest.Config) (*REST, error) {
	c := rest.CopyConfig(cfg)
	c.ContentType, c.AcceptContentTypes = "application/json", "application/json"
	// A scheme of metav1 only (Status decodes): the bodies are raw JSON,
	// and client-go's scheme of every API group would be initialised at
	// start and keep its types' pages of the binary mapped.
	sch := runtime.NewScheme()
	metav1.AddToGroupVersion(sch, schema.GroupVersion{Version: "v1"})
	c.NegotiatedSerializer = serializer.NewCodecFactory(sch).WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for operations: %w", err)
	}
	return &REST{c: rc}, nil
}

func (r *REST) request(req Request) *rest.Request {
	x := r.c.Verb(req.Method).AbsPath(req.Path)
	for k, vs := range req.Query {
		for _, v := range vs {
			x.Param(k, v)
		}
	}
	ct := req.ContentType
	if ct == "" {
		ct = "application/json"
	}
	if req.Body != nil {
		x.SetHeader("Content-Type", ct).Body(req.Body)
	}
	if req.Accept != "" {
		x.SetHeader("Accept", req.Accept)
	}
	return x
}

// Do sends r and returns the response body.
func (r *REST) Do(ctx context.Context, req Request) ([]byte, error) {
	body, err := r.request(req).Do(ctx).Raw()
	return body, statusError(body, err)
}

// statusError returns the API server's own Status for a failed request:
// client-go's unversioned client reports a generic message otherwise
// ("the server could not find the requested resource").
func statusError(body []byte, err error) error {
	if err == nil || len(body) == 0 {
		return err
	}
	var st metav1.Status
	if json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.Status != metav1.StatusFailure {
		return err
	}
	return &apierrors.StatusError{ErrStatus: st}
}

// Stream sends r and returns the response body as it arrives.
func (r *REST) Stream(ctx context.Context, req Request) (io.ReadCloser, error) {
	return r.request(req).Stream(ctx)
}

// resourcePath is the API path of a kind's collection (name "") or of one
// object, and of its subresource.
func resourcePath(k kinds.Kind, namespace, name, sub string) string {
	p := "/api/" + k.Version
	if k.Group != "" {
		p = "/apis/" + k.Group + "/" + k.Version
	}
	if k.Namespaced && namespace != "" {
		p += "/namespaces/" + url.PathEscape(namespace)
	}
	p += "/" + k.Resource
	if name != "" {
		p += "/" + url.PathEscape(name)
		if sub != "" {
			p += "/" + sub
		}
	}
	return p
}
