package watch

import (
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCacheKeepsOnlyAnnotationsRowsRead: the cached object keeps the
// annotations its kind's row reads (the binding's Annotations) and nothing
// else; the detail JSON keeps them all.
func TestCacheKeepsOnlyAnnotationsRowsRead(t *testing.T) {
	annotations := map[string]string{"kubernetes.io/ingress.class": "nginx", "team": "shop"}
	in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: maps.Clone(annotations)}}
	o, err := wrap("Ingress", in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.GetAnnotations(); len(got) != 1 || got["kubernetes.io/ingress.class"] != "nginx" {
		t.Errorf("cached Ingress annotations %v, want only the class", got)
	}
	if d := string(o.TakeDetail()); !strings.Contains(d, `"team":"shop"`) {
		t.Errorf("detail lost an annotation: %s", d)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: maps.Clone(annotations)}}
	if _, err := wrap("Service", svc, 0); err != nil {
		t.Fatal(err)
	}
	if got := svc.GetAnnotations(); len(got) != 0 {
		t.Errorf("cached Service annotations %v, want none", got)
	}
}
