// Command bench measures remote operations (scripts/bench ops → go run
// ./agent/ops/internal/bench): the real agent (agent.New, its control
// poll loop and the agent/ops executor) against a real kube-apiserver +
// etcd (envtest), its store a real MinIO. Commands are read-only YAML
// fetches (object.yaml of a Deployment), submitted with control.Submit
// (signed) as the API does, and timed until their result object is
// visible through control.ReadResult, as the API reads it. It prints, on
// stdout:
//
//	ops.rtt_ms.p50 / .p99           submit → result, cluster idle: the agent polls every
//	                                control.IdlePoll (15 s); submits at random phases
//	ops.rtt_ms.p50.fast / .p99.fast the same while the cluster is watched (the API
//	                                renews the watch lease on every submit): polls every
//	                                control.WatchedPoll (2 s)
//	ops.idle_gets_per_hour          GETs of the control object by an idle agent, per
//	                                cluster-hour, from the spacing of its polls over
//	                                --idle-window of real time
//	ops.requests_per_command        store requests one command costs, agent and
//	                                submitter together: poll GETs, the agent's other
//	                                writes meanwhile and the API's status reads excluded
//
// Details (requests per command by object and operation) go to stderr.
package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/agent/watch/watchtest"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

const (
	cluster   = "bench"
	namespace = "shop"
	target    = "web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench ops:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run() error {
	idleN := flag.Int("idle", 10, "commands submitted to an idle cluster")
	fastN := flag.Int("fast", 40, "commands submitted to a watched cluster")
	idleWindow := flag.Duration("idle-window", 3*time.Minute, "real time an idle agent's polls are counted over")
	flag.Parse()
	klog.SetSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	tmp, err := os.MkdirTemp("", "atlhyper-bench-ops-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	endpoint, stopMinIO, err := miniotest.Run(tmp, "bench")
	if err != nil {
		return err
	}
	defer stopMinIO()
	s3, err := store.NewS3(store.S3Options{Bucket: "bench", Prefix: "lake", Endpoint: endpoint, Insecure: true, Region: "us-east-1",
		Creds: credentials.NewStaticV4(miniotest.AccessKey, miniotest.SecretKey, "")})
	if err != nil {
		return err
	}
	logf("starting kube-apiserver + etcd")
	env, err := kubetest.New(kubetest.Options{})
	if err != nil {
		return err
	}
	defer env.Stop()
	if err := scene(ctx, env); err != nil {
		return err
	}

	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	signer := control.Signer{KeyID: "api-1", Key: priv}
	keys, err := control.ParseKeys(signer.PublicKey())
	if err != nil {
		return err
	}
	api, err := ops.NewREST(env.Config)
	if err != nil {
		return err
	}
	src, err := watch.NewSource(env.Config)
	if err != nil {
		return err
	}
	agentStore := &counted{Bucket: s3, name: "agent"}
	apiStore := &counted{Bucket: s3, name: "api"}
	a, err := agent.New(agent.Config{Cluster: cluster, Instance: "agent-0", Kube: watchtest.Kube(env.Kube), Source: src, Namespace: namespace,
		Store: agentStore, SpoolDir: tmp + "/spool", LeaderElection: true,
		Operations: &agent.Operations{API: api, Keys: keys},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	actx, stopAgent := context.WithCancel(ctx)
	agentDone := make(chan error, 1)
	go func() { agentDone <- a.Run(actx) }()
	defer func() { stopAgent(); <-agentDone }()
	logf("agent started; waiting for its first control poll")
	if err := waitFor(3*time.Minute, func() bool { return len(agentStore.polls()) > 0 }); err != nil {
		return err
	}

	submit := func(watched bool) (time.Duration, error) {
		now := time.Now()
		c := control.Command{ID: lake.NewULID(now).String(), Cluster: cluster, Action: "object.yaml",
			Target:      control.Target{Kind: kinds.Deployment, Namespace: namespace, Name: target},
			RequestedBy: "bench", Role: kinds.RoleOperator, Reason: "bench", CreatedAt: now, Deadline: now.Add(time.Minute), ReadOnly: true}
		start := time.Now()
		if watched {
			// What the API does on submit: someone is looking.
			if _, err := control.Watch(ctx, apiStore, cluster, start, control.MaxWatch); err != nil {
				return 0, err
			}
		}
		if _, err := control.Submit(ctx, apiStore, signer, c); err != nil {
			return 0, err
		}
		for {
			// Uncounted: how often the API reads a status depends on the
			// dashboard, not on the protocol.
			r, err := control.ReadResult(ctx, s3, cluster, c.ID)
			switch {
			case err == nil && r.State != control.Succeeded:
				return 0, fmt.Errorf("command %s ended %s: %s", c.ID, r.State, r.Error)
			case err == nil:
				return time.Since(start), nil
			case !store.IsNotFound(err):
				return 0, err
			case time.Since(start) > time.Minute:
				return 0, fmt.Errorf("no result for %s after a minute", c.ID)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Idle: no watch lease; each command at a random phase of the
	// agent's 15 s poll. (The API's watch renewal on submit changes
	// nothing here: the agent learns of both at its next poll.)
	logf("idle: %d commands at random phases of the %s poll", *idleN, control.IdlePoll)
	a0, s0 := agentStore.snapshot(), apiStore.snapshot()
	var idle []time.Duration
	for i := range *idleN {
		time.Sleep(rand.N(control.IdlePoll))
		d, err := submit(false)
		if err != nil {
			return err
		}
		logf("idle %d: %v", i+1, d.Round(time.Millisecond))
		idle = append(idle, d)
	}
	// Let the last command be archived and leave the busy cadence.
	time.Sleep(control.IdlePoll)
	perCommand := agentStore.snapshot().sub(a0).add(apiStore.snapshot().sub(s0))

	logf("idle polling: counting control GETs for %v", *idleWindow)
	p0 := len(agentStore.polls())
	time.Sleep(*idleWindow)
	polls := agentStore.polls()[p0:]
	if len(polls) < 3 {
		return fmt.Errorf("only %d control polls in %v", len(polls), *idleWindow)
	}
	span := polls[len(polls)-1].Sub(polls[0])
	getsPerHour := float64(len(polls)-1) / span.Hours()

	logf("fast: %d commands while the cluster is watched", *fastN)
	if _, err := control.Watch(ctx, apiStore, cluster, time.Now(), control.MaxWatch); err != nil {
		return err
	}
	// Wait for the agent to notice the watch: polls every 2 s.
	if err := waitFor(time.Minute, func() bool {
		p := agentStore.polls()
		return len(p) >= 2 && p[len(p)-1].Sub(p[len(p)-2]) < control.IdlePoll/2
	}); err != nil {
		return err
	}
	var fast []time.Duration
	for range *fastN {
		time.Sleep(rand.N(control.WatchedPoll))
		d, err := submit(true)
		if err != nil {
			return err
		}
		fast = append(fast, d)
	}

	logf("idle rtt: %v", idle)
	logf("fast rtt: %v", fast)
	logf("idle polls: %d over %v", len(polls), span.Round(time.Second))
	logf("store requests per command (idle phase, %d commands; control GETs of polls excluded):", *idleN)
	total := 0.0
	for _, k := range perCommand.keys() {
		n := float64(perCommand[k]) / float64(*idleN)
		switch {
		case k == "agent GET (poll) control":
			logf("  %-36s %.2f (polls while the command was pending or running; not in the total)", k, n)
			continue
		case strings.HasSuffix(k, " other"):
			logf("  %-36s %.2f (the agent's own state and data meanwhile; not in the total)", k, n)
			continue
		}
		total += n
		logf("  %-36s %.2f", k, n)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	fmt.Printf("ops.rtt_ms.p50 %.0f ms\n", ms(pct(idle, 50)))
	fmt.Printf("ops.rtt_ms.p99 %.0f ms\n", ms(pct(idle, 99)))
	fmt.Printf("ops.rtt_ms.p50.fast %.0f ms\n", ms(pct(fast, 50)))
	fmt.Printf("ops.rtt_ms.p99.fast %.0f ms\n", ms(pct(fast, 99)))
	fmt.Printf("ops.idle_gets_per_hour %.0f GET/h\n", getsPerHour)
	fmt.Printf("ops.requests_per_command %.1f requests\n", total)
	return nil
}

// scene creates the Deployment the commands fetch.
func scene(ctx context.Context, env *kubetest.Env) error {
	if _, err := env.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		metav1.CreateOptions{}); err != nil {
		return err
	}
	replicas := int32(3)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: target, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": target}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": target}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.example/web:1.2.3",
					Env: []corev1.EnvVar{{Name: "MODE", Value: "production"}}}}}}}}
	_, err := env.Kube.AppsV1().Deployments(namespace).Create(ctx, d, metav1.CreateOptions{})
	return err
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func waitFor(timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// counted counts one side's store requests by operation and object class,
// and records when the agent polled the control object.
type counted struct {
	store.Bucket
	name string

	mu     sync.Mutex
	counts counts
	gets   []time.Time // control object GETs
}

type counts map[string]int

func (c counts) sub(o counts) counts {
	out := counts{}
	for k, v := range c {
		if d := v - o[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func (c counts) add(o counts) counts {
	out := counts{}
	for k, v := range c {
		out[k] += v
	}
	for k, v := range o {
		out[k] += v
	}
	return out
}

func (c counts) keys() []string {
	var ks []string
	for k := range c {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// class names the object a key is: the control object, a command's own
// objects (command, result, output), the lake's commands table, or other
// (state, heartbeats, data).
func class(key string) string {
	switch {
	case key == control.ObjectKey(cluster):
		return "control"
	case strings.HasPrefix(key, lake.ClusterKey(cluster, "commands/")):
		return "command objects"
	case strings.Contains(key, lake.Commands.Name()+"/"):
		return "commands table"
	}
	return "other"
}

func (c *counted) count(op, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = counts{}
	}
	cl := class(key)
	if c.name == "agent" && strings.HasPrefix(op, "GET") && cl == "control" {
		// Polls, and the executor's own reads while it works (none in
		// the idle window).
		c.gets = append(c.gets, time.Now())
	}
	c.counts[c.name+" "+op+" "+cl]++
}

func (c *counted) snapshot() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return counts{}.add(c.counts)
}

func (c *counted) polls() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.gets)
}

func (c *counted) Put(ctx context.Context, key string, data []byte, cond store.Condition) (store.Info, error) {
	c.count("PUT", key)
	return c.Bucket.Put(ctx, key, data, cond)
}

func (c *counted) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, store.Info, error) {
	op := "GET"
	if ifNoneMatch != "" && class(key) == "control" && c.name == "agent" {
		op = "GET (poll)"
	}
	c.count(op, key)
	return c.Bucket.Get(ctx, key, ifNoneMatch)
}

func (c *counted) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	c.count("GET", key)
	return c.Bucket.GetRange(ctx, key, off, n)
}

func (c *counted) Stat(ctx context.Context, key string) (store.Info, error) {
	c.count("HEAD", key)
	return c.Bucket.Stat(ctx, key)
}

func (c *counted) List(ctx context.Context, prefix, startAfter string, limit int) ([]store.Info, bool, error) {
	c.count("LIST", prefix)
	return c.Bucket.List(ctx, prefix, startAfter, limit)
}

func (c *counted) Delete(ctx context.Context, key string) error {
	c.count("DELETE", key)
	return c.Bucket.Delete(ctx, key)
}
