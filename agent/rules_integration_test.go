package agent_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// fakeKubelet serves /containerLogs the way a kubelet does, so the API
// server's pods/log proxy reaches it.
type fakeKubelet struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string
}

func startKubelet(t *testing.T) *fakeKubelet {
	k := &fakeKubelet{}
	k.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.reqs = append(k.reqs, r.URL.String())
		k.mu.Unlock()
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
		if len(parts) != 3 {
			http.NotFound(w, r)
			return
		}
		tail, _ := strconv.Atoi(r.URL.Query().Get("tailLines"))
		prev := r.URL.Query().Get("previous") == "true"
		var lines []string
		for i := 1; i <= 80; i++ {
			lines = append(lines, fmt.Sprintf("%s/%s previous=%v line %d db=postgres://app:hunter%d@db/app", parts[1], parts[2], prev, i, i))
		}
		if tail > 0 && tail < len(lines) {
			lines = lines[len(lines)-tail:]
		}
		fmt.Fprint(w, strings.Join(lines, "\n")+"\n")
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *fakeKubelet) port() int32 {
	_, p, _ := net.SplitHostPort(k.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return int32(n)
}

// expectedTail is what the agent must capture: the last 50 of 80 lines of
// the previous container, each line's password masked (agent/redact).
func expectedTail(pod, container string) string {
	var b strings.Builder
	for i := 31; i <= 80; i++ {
		fmt.Fprintf(&b, "%s/%s previous=true line %d db=postgres://app:<redacted>@db/app\n", pod, container, i)
	}
	return b.String()
}

// fastRules shortens every threshold and hysteresis so the test runs in
// seconds; pulse windows stay long enough for second-resolution times.
func fastRules() []anomaly.Rule {
	var rules []anomaly.Rule
	for _, r := range anomaly.Defaults {
		if r.Threshold > 0 {
			r.Threshold = 500 * time.Millisecond
		}
		if r.Name == anomaly.PodPending || r.Name == anomaly.PVCPending {
			// Objects are created Pending and given their status a moment
			// later; only the ones left Pending may trip these.
			r.Threshold = 3 * time.Second
		}
		if r.ClearAfter > 0 {
			r.ClearAfter = 5 * time.Second
		}
		rules = append(rules, r)
	}
	return rules
}

type want struct {
	rule, kind, name, container string
	states                      []string // open/update/resolved in order
	severities                  []string
	counts                      []int32
	check                       func(t *testing.T, rows []lake.Anomaly)
}

func TestAnomalyRulesAgainstAPIServer(t *testing.T) {
	env := apiServer(t)
	minio := miniotest.Start(t)
	b := minio.NewBucket(t)
	h := newHarness(t, env, b)
	kubelet := startKubelet(t)

	node := h.ns + "-node"
	h.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}})
	h.nodeStatus(node, func(n *corev1.Node) {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
		n.Status.DaemonEndpoints.KubeletEndpoint.Port = kubelet.port()
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.Now(), LastHeartbeatTime: metav1.Now()}}
	})

	a := h.startAgent("rules", func(c *agent.Config) {
		c.AnomalyRules = fastRules()
		c.AnomalyUpdateInterval = 2 * time.Second
	})
	now := func() metav1.Time { return metav1.Now() }
	terminated := func(reason string, code int32, msg string) *corev1.ContainerStateTerminated {
		return &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, Message: msg, StartedAt: now(), FinishedAt: now()}
	}
	waiting := func(p *corev1.Pod, reason string) {
		setRunning(p)
		p.Status.Conditions[1].Status = corev1.ConditionFalse
		p.Status.ContainerStatuses[0].Ready = false
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: reason + " message"}}
	}
	del := func(name string) {
		if err := h.kube.CoreV1().Pods(h.ns).Delete(h.ctx(), name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
			t.Fatal(err)
		}
	}
	pods := []string{"crash", "oom", "pull", "invalid", "config", "create", "start", "exit", "pending", "unsched", "notready", "evicted", "evpod"}
	for _, p := range pods {
		pod := h.pod(p)
		if p == "exit" {
			pod.Spec.RestartPolicy = corev1.RestartPolicyNever
		}
		if p == "unsched" {
			pod.Spec.NodeName = ""
		}
		h.create(pod)
	}
	for _, p := range []string{"crash", "oom", "start", "notready", "evpod"} {
		h.podStatus(p, setRunning)
	}

	// Workloads, volumes, services.
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "w"}}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "w"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "w", Image: "w:1", Env: []corev1.EnvVar{{Name: "TOKEN", Value: "s3cr3t-template"}}}}}}
	h.create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "dep"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(3)), Selector: sel, Template: tmpl}})
	h.create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "stuck"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(0)), Selector: sel, Template: tmpl}})
	h.create(&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "sts"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(2)), Selector: sel, Template: tmpl}})
	h.create(&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "ds"},
		Spec: appsv1.DaemonSetSpec{Selector: sel, Template: tmpl}})
	jobTmpl := tmpl
	jobTmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	h.create(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "job"},
		Spec: batchv1.JobSpec{Template: jobTmpl, ManualSelector: ptr(true), Selector: sel}})
	h.create(&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "cron"},
		Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: jobTmpl}}}})
	h.create(&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "pvc-pending"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: qty("1Gi")}}}})
	h.create(&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "pvc-lost"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, VolumeName: "pv-gone",
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: qty("1Gi")}}}})
	h.create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "svc"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "w"}, Ports: []corev1.ServicePort{{Port: 80}}}})
	badNode := h.ns + "-bad"
	h.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: badNode}})

	// Phase 1: break everything.
	h.podStatus("crash", func(p *corev1.Pod) {
		waiting(p, "CrashLoopBackOff")
		p.Status.ContainerStatuses[0].RestartCount = 1
		p.Status.ContainerStatuses[0].LastTerminationState.Terminated = terminated("Error", 1, "boom")
	})
	h.podStatus("oom", func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].RestartCount = 1
		p.Status.ContainerStatuses[0].LastTerminationState.Terminated = terminated("OOMKilled", 137, "")
	})
	h.podStatus("pull", func(p *corev1.Pod) { waiting(p, "ErrImagePull") })
	h.podStatus("invalid", func(p *corev1.Pod) { waiting(p, "InvalidImageName") })
	h.podStatus("config", func(p *corev1.Pod) { waiting(p, "CreateContainerConfigError") })
	h.podStatus("create", func(p *corev1.Pod) { waiting(p, "CreateContainerError") })
	h.podStatus("start", func(p *corev1.Pod) { waiting(p, "RunContainerError") })
	h.podStatus("exit", func(p *corev1.Pod) {
		setRunning(p)
		p.Status.Phase = corev1.PodFailed
		p.Status.Conditions[1].Status = corev1.ConditionFalse
		p.Status.ContainerStatuses[0].Ready = false
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: terminated("Error", 2, "bad input")}
	})
	h.podStatus("pending", func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now()}}
	})
	h.podStatus("unsched", func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available", LastTransitionTime: now()}}
	})
	h.podStatus("notready", func(p *corev1.Pod) {
		p.Status.Conditions[1].Status, p.Status.Conditions[1].Reason = corev1.ConditionFalse, "ContainersNotReady"
		p.Status.Conditions[1].LastTransitionTime = now()
	})
	h.podStatus("evicted", func(p *corev1.Pod) {
		p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
	})
	h.nodeStatus(badNode, func(n *corev1.Node) {
		n.Status.Conditions = []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletNotReady", Message: "PLEG is not healthy", LastTransitionTime: now()},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionTrue, Reason: "KubeletHasInsufficientMemory", LastTransitionTime: now()},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionTrue, Reason: "KubeletHasDiskPressure", LastTransitionTime: now()},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionTrue, Reason: "KubeletHasInsufficientPID", LastTransitionTime: now()},
			{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue, Reason: "NoRouteCreated", LastTransitionTime: now()},
		}
	})
	h.updateNode(badNode, func(n *corev1.Node) { n.Spec.Unschedulable = true })
	h.deploymentStatus("dep", func(d *appsv1.Deployment) {
		d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas = 3, 1, 1, 2
	})
	h.deploymentStatus("stuck", func(d *appsv1.Deployment) {
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
			Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "stuck-1" has timed out progressing.`, LastTransitionTime: now(), LastUpdateTime: now()}}
	})
	h.statefulSetStatus("sts", func(s *appsv1.StatefulSet) { s.Status.Replicas, s.Status.ReadyReplicas = 2, 0 })
	h.daemonSetStatus("ds", func(d *appsv1.DaemonSet) {
		d.Status.DesiredNumberScheduled, d.Status.CurrentNumberScheduled, d.Status.NumberReady, d.Status.NumberAvailable, d.Status.NumberUnavailable = 3, 3, 2, 2, 1
	})
	h.jobStatus("job", func(j *batchv1.Job) {
		failJob(j, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
	})
	cron, err := h.kube.BatchV1().CronJobs(h.ns).Get(h.ctx(), "cron", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cronRun := func(name string) {
		h.create(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "batch/v1", Kind: "CronJob", Name: "cron", UID: cron.UID, Controller: ptr(true)}}},
			Spec: batchv1.JobSpec{Template: jobTmpl, ManualSelector: ptr(true), Selector: sel}})
	}
	cronRun("cron-1")
	h.jobStatus("cron-1", func(j *batchv1.Job) { failJob(j, "DeadlineExceeded", "Job was active longer than specified deadline") })
	h.pvcStatus("pvc-lost", func(p *corev1.PersistentVolumeClaim) { p.Status.Phase = corev1.ClaimLost })
	events := map[string]int32{"FailedScheduling": 1, "BackOff": 4, "FailedMount": 2, "FailedAttachVolume": 1,
		"FailedCreatePodSandBox": 1, "Evicted": 1, "Unhealthy": 3}
	for reason, count := range events {
		h.create(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "evpod." + strings.ToLower(reason)},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: h.ns, Name: "evpod", APIVersion: "v1"},
			Type:           corev1.EventTypeWarning, Reason: reason, Message: reason + " happened", Count: count,
			FirstTimestamp: now(), LastTimestamp: now(), Source: corev1.EventSource{Component: "kubelet", Host: node}})
	}

	w := map[string]*want{}
	add := func(x want) { w[x.rule+"/"+x.name+"/"+x.container] = &x }
	logTail := func(pod string) func(t *testing.T, rows []lake.Anomaly) {
		return func(t *testing.T, rows []lake.Anomaly) {
			if got, want := rows[0].LogTail, expectedTail(pod, "app"); got != want {
				t.Errorf("%s log tail:\n%q\nwant\n%q", pod, got, want)
			}
		}
	}
	add(want{rule: anomaly.ContainerCrashLoop, kind: "Pod", name: "crash", container: "app",
		states: []string{"open", "update", "resolved"}, severities: []string{"critical", "critical", "critical"}, counts: []int32{1, 3, 3},
		check: func(t *testing.T, rows []lake.Anomaly) {
			logTail("crash")(t, rows)
			o := rows[0]
			if o.ExitCode == nil || *o.ExitCode != 1 || o.TerminationReason != "Error" || o.TerminationMessage != "boom" ||
				o.Reason != "CrashLoopBackOff" || o.Node != node || o.UID == "" {
				t.Errorf("crash open row %+v", o)
			}
			if o.Fingerprint != anomaly.Fingerprint(h.cluster, anomaly.ContainerCrashLoop, "Pod", h.ns, "crash", "app") {
				t.Errorf("fingerprint %s", o.Fingerprint)
			}
		}})
	add(want{rule: anomaly.ContainerOOMKilled, kind: "Pod", name: "oom", container: "app",
		states: []string{"open", "resolved"}, severities: []string{"critical", "critical"}, counts: []int32{1, 1},
		check: func(t *testing.T, rows []lake.Anomaly) {
			logTail("oom")(t, rows)
			if o := rows[0]; o.ExitCode == nil || *o.ExitCode != 137 || o.TerminationReason != "OOMKilled" {
				t.Errorf("oom open row %+v", o)
			}
		}})
	simple := func(rule, kind, name, container, sev string) {
		add(want{rule: rule, kind: kind, name: name, container: container, states: []string{"open", "resolved"},
			severities: []string{sev, sev}, counts: []int32{1, 1}})
	}
	simple(anomaly.ContainerImagePull, "Pod", "pull", "app", "warning")
	simple(anomaly.ContainerInvalidImage, "Pod", "invalid", "app", "critical")
	simple(anomaly.ContainerConfigError, "Pod", "config", "app", "critical")
	simple(anomaly.ContainerCreateError, "Pod", "create", "app", "critical")
	simple(anomaly.ContainerStartError, "Pod", "start", "app", "critical")
	add(want{rule: anomaly.ContainerErrorExit, kind: "Pod", name: "exit", container: "app", states: []string{"open", "resolved"},
		severities: []string{"warning", "warning"}, counts: []int32{1, 1}, check: func(t *testing.T, rows []lake.Anomaly) {
			if o := rows[0]; o.Message != "exit code 2: bad input" || *o.ExitCode != 2 {
				t.Errorf("exit row %+v", o)
			}
		}})
	simple(anomaly.PodPending, "Pod", "pending", "", "warning")
	simple(anomaly.PodUnschedulable, "Pod", "unsched", "", "warning")
	simple(anomaly.PodNotReady, "Pod", "notready", "", "warning")
	simple(anomaly.PodEvicted, "Pod", "evicted", "", "warning")
	add(want{rule: anomaly.NodeNotReady, kind: "Node", name: badNode, states: []string{"open", "update", "resolved"},
		severities: []string{"critical", "critical", "critical"}, counts: []int32{1, 2, 2}})
	simple(anomaly.NodeMemoryPressure, "Node", badNode, "", "warning")
	simple(anomaly.NodeDiskPressure, "Node", badNode, "", "warning")
	simple(anomaly.NodePIDPressure, "Node", badNode, "", "warning")
	simple(anomaly.NodeNetworkUnavailable, "Node", badNode, "", "critical")
	simple(anomaly.NodeCordoned, "Node", badNode, "", "info")
	add(want{rule: anomaly.DeploymentUnavailable, kind: "Deployment", name: "dep", states: []string{"open", "update", "resolved"},
		severities: []string{"warning", "critical", "critical"}, counts: []int32{1, 1, 1}})
	simple(anomaly.DeploymentProgress, "Deployment", "stuck", "", "critical")
	simple(anomaly.StatefulSetUnavailable, "StatefulSet", "sts", "", "critical")
	simple(anomaly.DaemonSetUnavailable, "DaemonSet", "ds", "", "warning")
	simple(anomaly.JobFailed, "Job", "job", "", "warning")
	add(want{rule: anomaly.CronJobLastRunFailed, kind: "CronJob", name: "cron", states: []string{"open", "resolved"},
		severities: []string{"warning", "warning"}, counts: []int32{1, 1}, check: func(t *testing.T, rows []lake.Anomaly) {
			if !strings.HasPrefix(rows[0].Message, "job cron-1 failed: ") || rows[0].Reason != "DeadlineExceeded" {
				t.Errorf("cron row %+v", rows[0])
			}
		}})
	simple(anomaly.PVCPending, "PersistentVolumeClaim", "pvc-pending", "", "warning")
	simple(anomaly.PVCLost, "PersistentVolumeClaim", "pvc-lost", "", "critical")
	simple(anomaly.ServiceNoEndpoints, "Service", "svc", "", "warning")
	for reason, count := range events {
		rule := map[string]string{"FailedScheduling": anomaly.EventFailedScheduling, "BackOff": anomaly.EventBackOff,
			"FailedMount": anomaly.EventFailedMount, "FailedAttachVolume": anomaly.EventFailedAttach,
			"FailedCreatePodSandBox": anomaly.EventSandbox, "Evicted": anomaly.EventEvicted, "Unhealthy": anomaly.EventUnhealthy}[reason]
		add(want{rule: rule, kind: "Pod", name: "evpod", states: []string{"open", "resolved"},
			severities: []string{"warning", "warning"}, counts: []int32{count, count}})
	}

	opened := func() bool {
		open := map[string]bool{}
		for _, o := range openAnomalies(t, h) {
			open[o.Rule+"/"+o.Name+"/"+o.Container] = true
		}
		for k := range w {
			if !open[k] {
				return false
			}
		}
		return true
	}
	// Two more crashes soon after the crash loop opened: one update row
	// (rate limit) with both counted.
	h.eventually("crash loop open", 30*time.Second, func() bool {
		a.PublishState(h.ctx())
		for _, o := range openAnomalies(t, h) {
			if o.Rule == anomaly.ContainerCrashLoop && o.Name == "crash" {
				return true
			}
		}
		return false
	})
	for restarts := int32(2); restarts <= 3; restarts++ {
		h.podStatus("crash", func(p *corev1.Pod) {
			setRunning(p)
			p.Status.ContainerStatuses[0].RestartCount = restarts - 1
			p.Status.ContainerStatuses[0].LastTerminationState.Terminated = terminated("Error", 1, "boom")
		})
		h.podStatus("crash", func(p *corev1.Pod) {
			waiting(p, "CrashLoopBackOff")
			p.Status.ContainerStatuses[0].RestartCount = restarts
			p.Status.ContainerStatuses[0].LastTerminationState.Terminated = terminated("Error", 1, "boom")
		})
	}
	h.eventually("every anomaly open", 30*time.Second, func() bool { a.PublishState(h.ctx()); return opened() })

	// Phase 2: escalation and transitions.
	h.podStatus("pull", func(p *corev1.Pod) { waiting(p, "ImagePullBackOff") }) // same anomaly
	time.Sleep(1100 * time.Millisecond)                                         // a new transition time (second resolution)
	h.nodeStatus(badNode, func(n *corev1.Node) {
		n.Status.Conditions[0].Status, n.Status.Conditions[0].Reason = corev1.ConditionUnknown, "NodeStatusUnknown"
		n.Status.Conditions[0].LastTransitionTime = now()
	})
	h.deploymentStatus("dep", func(d *appsv1.Deployment) {
		d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas = 0, 0, 3
	})
	time.Sleep(2500 * time.Millisecond) // past the update interval

	// Phase 3: heal everything.
	for _, p := range []string{"crash", "pull", "config", "create", "start", "pending", "unsched", "notready"} {
		h.podStatus(p, setRunning)
	}
	for _, p := range []string{"invalid", "evicted"} {
		del(p)
	}
	h.nodeStatus(badNode, func(n *corev1.Node) {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastTransitionTime: now()}}
	})
	h.updateNode(badNode, func(n *corev1.Node) { n.Spec.Unschedulable = false })
	h.deploymentStatus("dep", func(d *appsv1.Deployment) {
		d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas, d.Status.UpdatedReplicas = 3, 3, 0, 3
	})
	h.deploymentStatus("stuck", func(d *appsv1.Deployment) {
		d.Status.Conditions[0].Status, d.Status.Conditions[0].Reason = corev1.ConditionTrue, "NewReplicaSetAvailable"
	})
	h.statefulSetStatus("sts", func(s *appsv1.StatefulSet) { s.Status.ReadyReplicas, s.Status.AvailableReplicas = 2, 2 })
	h.daemonSetStatus("ds", func(d *appsv1.DaemonSet) {
		d.Status.NumberReady, d.Status.NumberAvailable, d.Status.NumberUnavailable = 3, 3, 0
	})
	if err := h.kube.BatchV1().Jobs(h.ns).Delete(h.ctx(), "job", metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	cronRun("cron-2")
	h.jobStatus("cron-2", completeJob)
	h.pvcStatus("pvc-pending", func(p *corev1.PersistentVolumeClaim) { p.Status.Phase = corev1.ClaimBound })
	if err := h.kube.CoreV1().PersistentVolumeClaims(h.ns).Delete(h.ctx(), "pvc-lost", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// There is no PVC protection controller here: drop its finalizer.
	if _, err := h.kube.CoreV1().PersistentVolumeClaims(h.ns).Patch(h.ctx(), "pvc-lost", types.MergePatchType,
		[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	h.create(&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "svc-1",
		Labels: map[string]string{discoveryv1.LabelServiceName: "svc"}}, AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}}})

	var stillOpen []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		a.PublishState(h.ctx())
		stillOpen = nil
		for _, o := range openAnomalies(t, h) {
			if w[o.Rule+"/"+o.Name+"/"+o.Container] != nil {
				stillOpen = append(stillOpen, fmt.Sprintf("%s/%s/%s (%s)", o.Rule, o.Name, o.Container, o.Reason))
			}
		}
		if len(stillOpen) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still open: %v", stillOpen)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := a.Flush(h.ctx()); err != nil {
		t.Fatal(err)
	}
	got := map[string][]lake.Anomaly{}
	for _, r := range readTable(t, b, lake.Anomalies, h.cluster) {
		got[r.Rule+"/"+r.Name+"/"+r.Container] = append(got[r.Rule+"/"+r.Name+"/"+r.Container], r)
	}
	for k, x := range w {
		rows := got[k]
		var states, sevs []string
		var counts []int32
		for _, r := range rows {
			states, sevs, counts = append(states, r.State), append(sevs, r.Severity), append(counts, r.Count)
			if r.Kind != x.kind || r.Namespace != map[bool]string{true: "", false: h.ns}[x.kind == "Node"] ||
				r.Fingerprint != anomaly.Fingerprint(h.cluster, x.rule, x.kind, r.Namespace, x.name, x.container) {
				t.Errorf("%s: identity %+v", k, r)
			}
			if !r.FirstSeen.Equal(rows[0].FirstSeen) || r.LastSeen.Before(r.FirstSeen) {
				t.Errorf("%s: first/last seen %v %v", k, r.FirstSeen, r.LastSeen)
			}
		}
		if fmt.Sprint(states) != fmt.Sprint(x.states) || fmt.Sprint(sevs) != fmt.Sprint(x.severities) || fmt.Sprint(counts) != fmt.Sprint(x.counts) {
			t.Errorf("%s:\n got states %v severities %v counts %v\nwant states %v severities %v counts %v",
				k, states, sevs, counts, x.states, x.severities, x.counts)
			continue
		}
		if x.check != nil {
			x.check(t, rows)
		}
	}
	for k, rows := range got {
		mine := rows[0].Namespace == h.ns || strings.HasPrefix(rows[0].Name, h.ns)
		if w[k] == nil && mine {
			t.Errorf("unexpected anomaly %s: %+v", k, rows[0])
		}
	}
}

func openAnomalies(t *testing.T, h *harness) []lake.OpenAnomaly {
	var cur lake.CurrentState
	readJSON(t, h.bucket, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur)
	return cur.Anomalies
}

func failJob(j *batchv1.Job, reason, msg string) {
	t := metav1.Now()
	j.Status.StartTime = &t
	j.Status.Failed = 1
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: t},
		{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: t}}
}

func completeJob(j *batchv1.Job) {
	t := metav1.Now()
	j.Status.StartTime, j.Status.CompletionTime = &t, &t
	j.Status.Succeeded = 1
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: t}}
}

func (h *harness) updateNode(name string, mutate func(*corev1.Node)) {
	h.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := h.kube.CoreV1().Nodes().Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(n)
		_, err = h.kube.CoreV1().Nodes().Update(h.ctx(), n, metav1.UpdateOptions{})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) deploymentStatus(name string, mutate func(*appsv1.Deployment)) {
	h.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := h.kube.AppsV1().Deployments(h.ns).Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(d)
		_, err = h.kube.AppsV1().Deployments(h.ns).UpdateStatus(h.ctx(), d, metav1.UpdateOptions{})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) statefulSetStatus(name string, mutate func(*appsv1.StatefulSet)) {
	h.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := h.kube.AppsV1().StatefulSets(h.ns).Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(s)
		_, err = h.kube.AppsV1().StatefulSets(h.ns).UpdateStatus(h.ctx(), s, metav1.UpdateOptions{})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) daemonSetStatus(name string, mutate func(*appsv1.DaemonSet)) {
	h.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := h.kube.AppsV1().DaemonSets(h.ns).Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(d)
		_, err = h.kube.AppsV1().DaemonSets(h.ns).UpdateStatus(h.ctx(), d, metav1.UpdateOptions{})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) jobStatus(name string, mutate func(*batchv1.Job)) {
	h.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		j, err := h.kube.BatchV1().Jobs(h.ns).Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(j)
		_, err = h.kube.BatchV1().Jobs(h.ns).UpdateStatus(h.ctx(), j, metav1.UpdateOptions{})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) pvcStatus(name string, mutate func(*corev1.PersistentVolumeClaim)) {
	h.t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := h.kube.CoreV1().PersistentVolumeClaims(h.ns).Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(p)
		_, err = h.kube.CoreV1().PersistentVolumeClaims(h.ns).UpdateStatus(h.ctx(), p, metav1.UpdateOptions{})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
}
