package redact_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/redact"
	"github.com/atlhyper/atlhyper/agent/watch"
)

// TestStripApplies: the informers' transform applies the policy, so what
// it masks never reaches the cache or the lake.
func TestStripApplies(t *testing.T) {
	redact.SetPolicy(redact.Policy{})
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app", Annotations: map[string]string{"kapp.k14s.io/original": "{}", "team": "a"}},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Args: []string{"--password=hunter2"}, Env: []corev1.EnvVar{{Name: "X", Value: "literal"}}}}}}}}
	data, err := watch.Detail("Deployment", d, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if strings.Contains(s, "hunter2") || strings.Contains(s, "kapp.k14s.io/original") || strings.Contains(s, "literal") || !strings.Contains(s, `"team":"a"`) {
		t.Fatalf("detail: %s", s)
	}
}
