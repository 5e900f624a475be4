//go:build ignore

// realcluster runs a real cluster for the web end-to-end tests' remote
// operations (issue 15): a real MinIO (the store), a real control plane
// (internal/controlplane: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok nodes) with the objects the scenarios act on, and
// the real agent binary watching it with a kubeconfig and executing the
// commands the API signs. It writes what the harness needs as JSON to
// --out once everything is up (the store URL and its credentials, the
// cluster id, a plain-HTTP proxy to the API server for asserting the
// cluster's state) and runs until SIGTERM, then stops everything.
//
//	go build -o realcluster ./web/e2e/realcluster.go
//	realcluster --dir DIR --agent ./agent-binary --public-keys "kid=base64" --out DIR/real.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/atlhyper/atlhyper/internal/controlplane"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// Namespace and Cluster are what the scenarios (web/e2e/realops.mjs) act on.
const (
	Namespace = "shop"
	Cluster   = "real-1"
	Bucket    = "atlhyper"
)

// info is written to --out once the cluster is ready.
type info struct {
	Store     string   `json:"store"`
	Env       []string `json:"env"`
	Cluster   string   `json:"cluster"`
	Namespace string   `json:"namespace"`
	KubeProxy string   `json:"kube_proxy"`
	Nodes     []string `json:"nodes"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "realcluster:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s realcluster: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run() error {
	dir := flag.String("dir", "", "work directory (MinIO data, kubeconfig, agent spool)")
	agentBin := flag.String("agent", "", "the agent binary (go build ./agent/cmd/agent)")
	keys := flag.String("public-keys", "", "the agent's --command-public-keys")
	out := flag.String("out", "", "where to write the JSON the harness reads")
	flag.Parse()
	if *dir == "" || *agentBin == "" || *keys == "" || *out == "" {
		return errors.New("--dir, --agent, --public-keys and --out are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	endpoint, stopMinIO, err := miniotest.Run(*dir, Bucket)
	if err != nil {
		return fmt.Errorf("minio: %w", err)
	}
	defer stopMinIO()
	storeURL := fmt.Sprintf("s3://%s/lake?endpoint=%s&insecure=true&region=us-east-1", Bucket, endpoint)
	logf("minio on %s; starting the control plane", endpoint)

	cp, err := controlplane.New(ctx, controlplane.Options{Nodes: 3})
	if err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			logf("stop control plane: %v", err)
		}
	}()
	logf("control plane up (nodes %s); creating the scenario's objects", strings.Join(cp.Nodes, ", "))
	if err := scene(ctx, cp); err != nil {
		return err
	}

	// The agent: the real binary, with a kubeconfig, on MinIO, trusting the
	// API's command key.
	kc, err := controlplane.Kubeconfig(cp.Config)
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(*dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return err
	}
	env := (&miniotest.Server{}).Env()
	agent := exec.Command(*agentBin, "--store", storeURL, "--kubeconfig", kubeconfig, "--cluster", Cluster,
		"--instance", "e2e-agent", "--spool-dir", filepath.Join(*dir, "spool"), "--listen", "127.0.0.1:0",
		"--metrics-listen", "127.0.0.1:0", "--command-public-keys", *keys, "--flush-age", "5m")
	agent.Env = append(os.Environ(), env...)
	agent.Stdout, agent.Stderr = os.Stderr, os.Stderr
	agent.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := agent.Start(); err != nil {
		return fmt.Errorf("start the agent: %w", err)
	}
	agentDone := make(chan error, 1)
	go func() { agentDone <- agent.Wait() }()
	defer func() {
		_ = syscall.Kill(-agent.Process.Pid, syscall.SIGTERM)
		select {
		case <-agentDone:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-agent.Process.Pid, syscall.SIGKILL)
			<-agentDone
		}
	}()

	proxy, err := kubeProxy(cp.Config)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(info{Store: storeURL, Env: env, Cluster: Cluster, Namespace: Namespace,
		KubeProxy: proxy, Nodes: cp.Nodes}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out+".tmp", data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(*out+".tmp", *out); err != nil {
		return err
	}
	logf("ready: agent pid %d, kube proxy %s", agent.Process.Pid, proxy)
	select {
	case <-ctx.Done():
		logf("stopping")
		return nil
	case err := <-agentDone:
		return fmt.Errorf("the agent exited: %v", err)
	}
}

// kubeProxy serves the API server over plain HTTP on 127.0.0.1 as
// cluster-admin, for the harness's assertions (like kubectl proxy).
func kubeProxy(cfg *rest.Config) (string, error) {
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return "", err
	}
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return "", err
	}
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = rt
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = http.Serve(ln, p) }()
	return "http://" + ln.Addr().String(), nil
}

func ptr[T any](v T) *T { return &v }

// scene creates what the scenarios act on, in namespace shop:
//   - Deployment web (3 replicas) with a PodDisruptionBudget maxUnavailable 1:
//     restart, undo, pause/resume, scale, set image, a drain that completes;
//   - Deployment locked (1 replica) with a budget that allows no disruption:
//     a drain of its node waits, shows why, and is stopped;
//   - DaemonSet node-agent: a pod per node the drain leaves;
//   - CronJob nightly: trigger, suspend, and the Job it made deleted.
//
// It returns once the budgets are computed, so a drain meets them.
func scene(ctx context.Context, cp *controlplane.ControlPlane) error {
	k := cp.Kube
	if _, err := k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	labels := func(app string) map[string]string { return map[string]string{"app": app} }
	container := corev1.Container{Name: "app", Image: "nginx:1.27", Env: []corev1.EnvVar{{Name: "MODE", Value: "e2e"}}}
	deploy := func(name string, replicas int32) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace},
			Spec: appsv1.DeploymentSpec{Replicas: ptr(replicas), Selector: &metav1.LabelSelector{MatchLabels: labels(name)},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels(name)},
					Spec: corev1.PodSpec{Containers: []corev1.Container{container}}}}}
	}
	for _, d := range []*appsv1.Deployment{deploy("web", 3), deploy("locked", 1)} {
		if _, err := k.AppsV1().Deployments(Namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	pdbs := []*policyv1.PodDisruptionBudget{
		{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: Namespace}, Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels("web")}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "locked", Namespace: Namespace}, Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr(intstr.FromInt32(0)), Selector: &metav1.LabelSelector{MatchLabels: labels("locked")}}},
	}
	for _, p := range pdbs {
		if _, err := k.PolicyV1().PodDisruptionBudgets(Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "node-agent", Namespace: Namespace},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels("node-agent")},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels("node-agent")},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: "busybox:1.36"}}}}}}
	if _, err := k.AppsV1().DaemonSets(Namespace).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		return err
	}
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: Namespace},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "job", Image: "busybox:1.36"}}}}}}}}
	if _, err := k.BatchV1().CronJobs(Namespace).Create(ctx, cj, metav1.CreateOptions{}); err != nil {
		return err
	}
	if err := cp.SetPodLogs(logLines(), "previous instance: exited 1\n"); err != nil {
		return err
	}
	// Wait (on conditions) until the pods run and the budgets are computed.
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	return controlplane.WaitFor(wctx, "the scenario's pods running and budgets computed", func(ctx context.Context) (bool, string, error) {
		return ready(ctx, k, len(cp.Nodes))
	})
}

func ready(ctx context.Context, k kubernetes.Interface, nodes int) (bool, string, error) {
	pods, err := k.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, "", err
	}
	running := 0
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	if running < 3+1+nodes {
		return false, fmt.Sprintf("%d pods running", running), nil
	}
	for _, name := range []string{"web", "locked"} {
		b, err := k.PolicyV1().PodDisruptionBudgets(Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		if b.Status.ObservedGeneration != b.Generation || b.Status.ExpectedPods == 0 {
			return false, "budget " + name + " not computed", nil
		}
	}
	return true, "", nil
}

// logLines is what every container logged: the log viewer's search finds
// "listening".
func logLines() string {
	var b strings.Builder
	for i := range 40 {
		if i%10 == 0 {
			fmt.Fprintf(&b, "listening on :8080 (worker %d)\n", i/10)
		} else {
			fmt.Fprintf(&b, "GET /healthz 200 %d µs\n", 100+i)
		}
	}
	return b.String()
}
