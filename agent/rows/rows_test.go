package rows_test

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/lake"
)

func ptr[T any](v T) *T { return &v }

func samplePod() *corev1.Pod {
	started := metav1.NewTime(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	finished := metav1.NewTime(time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC))
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: "u1", ResourceVersion: "10",
			Labels:          map[string]string{"app": "web"},
			Annotations:     map[string]string{corev1.LastAppliedConfigAnnotation: `{"env":"hunter2"}`, "keep": "me"},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-5d4", Controller: ptr(true)}}},
		Spec: corev1.PodSpec{NodeName: "n1", ServiceAccountName: "default",
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox", Env: []corev1.EnvVar{{Name: "X", Value: "init-secret"}}}},
			Containers: []corev1.Container{{Name: "app", Image: "shop/web:1",
				Env: []corev1.EnvVar{{Name: "PASSWORD", Value: "hunter2"}, {Name: "REF", ValueFrom: &corev1.EnvVarSource{
					SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resourceMust("250m"), corev1.ResourceMemory: resourceMust("256Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resourceMust("512Mi")}},
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "kube-api-access-x1", MountPath: "/var/run/secrets"}}}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", Env: []corev1.EnvVar{{Name: "T", Value: "eph-secret"}}}}},
			Volumes: []corev1.Volume{{Name: "data"}, {Name: "kube-api-access-x1", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, QOSClass: corev1.PodQOSBurstable, PodIP: "10.0.0.9",
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}},
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", ExitCode: 0, FinishedAt: started}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: 4,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137, FinishedAt: finished}}}}},
	}
}

func TestStripRedactsAndDrops(t *testing.T) {
	p := samplePod()
	if _, err := watch.Strip(p); err != nil {
		t.Fatal(err)
	}
	data, _, err := rows.Encode(rows.KindPod, p)
	if err != nil {
		t.Fatal(err)
	}
	js := string(data)
	for _, secret := range []string{"hunter2", "init-secret", "eph-secret", "managedFields", "last-applied", "kube-api-access"} {
		if strings.Contains(js, secret) {
			t.Errorf("detail contains %q: %s", secret, js)
		}
	}
	for _, keep := range []string{`"name":"PASSWORD","value":"<redacted>"`, `"secretKeyRef":{"name":"s","key":"k"}`, `"keep":"me"`,
		`"apiVersion":"v1","kind":"Pod"`, `"mountPath":"/data"`} {
		if !strings.Contains(js, keep) {
			t.Errorf("detail lacks %s: %s", keep, js)
		}
	}
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "K", Value: "template-secret"}}}}}}}}
	watch.Strip(d)
	if v := d.Spec.Template.Spec.Containers[0].Env[0].Value; v != watch.Redacted {
		t.Errorf("template env %q", v)
	}
}

func TestPodRow(t *testing.T) {
	p := samplePod()
	ts := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	r := rows.Pod(p, rows.Meta(p, rows.KindPod, lake.OpUpdate, ts))
	if r.OwnerKind != "ReplicaSet" || r.OwnerName != "web-5d4" || r.Phase != "Running" || r.Ready || !r.Scheduled ||
		r.ReadyContainers != 0 || r.TotalContainers != 1 || r.Restarts != 4 || r.WaitingReason != "CrashLoopBackOff" ||
		r.LastTermReason != "OOMKilled" || *r.LastExitCode != 137 || r.CPURequestMilli != 250 ||
		r.MemRequestBytes != 256<<20 || r.MemLimitBytes != 512<<20 || len(r.Containers) != 2 || !r.Containers[0].Init {
		t.Fatalf("row %+v", r)
	}
}

func TestHashIgnoresResourceVersionAndHeartbeats(t *testing.T) {
	node := func(rv string, beat time.Time) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: rv},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
				LastHeartbeatTime: metav1.NewTime(beat)}}, Images: []corev1.ContainerImage{{Names: []string{"a"}, SizeBytes: 1}}}}
		watch.Strip(n)
		return n
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	_, h1, _ := rows.Encode(rows.KindNode, node("1", t0))
	_, h2, _ := rows.Encode(rows.KindNode, node("2", t0.Add(10*time.Second)))
	if h1 != h2 {
		t.Error("heartbeat-only update changed the hash")
	}
	changed := node("3", t0)
	changed.Status.Conditions[0].Status = corev1.ConditionFalse
	if _, h3, _ := rows.Encode(rows.KindNode, changed); h3 == h1 {
		t.Error("a real change kept the hash")
	}
}

func TestCleanInvalidUTF8(t *testing.T) {
	labels := map[string]string{"ok": "yes"}
	r := lake.Pod{Meta: lake.Meta{Labels: labels}, Reason: "bad\xffreason",
		Containers: []lake.Container{{Reason: "x\xfe"}}}
	rows.Clean(&r)
	if r.Reason != "bad\uFFFDreason" || r.Containers[0].Reason != "x\uFFFD" {
		t.Fatalf("%q %q", r.Reason, r.Containers[0].Reason)
	}
	r.Labels = map[string]string{"k": "v\xff"}
	shared := r.Labels
	rows.Clean(&r)
	if shared["k"] != "v\xff" || r.Labels["k"] != "v\uFFFD" {
		t.Fatal("map must be replaced, not mutated")
	}
}

func resourceMust(s string) resource.Quantity { return resource.MustParse(s) }
