package agent

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/agent/redact"
	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/lake"
)

// evaluate runs the anomaly rules of obj's kind; a deleted object
// resolves everything about it.
func (r *run) evaluate(kind string, obj metav1.Object, deleted bool) {
	ns, name := obj.GetNamespace(), obj.GetName()
	src := anomaly.ObjectKey(kind, ns, name)
	observe := func(obs []anomaly.Observation) {
		if deleted {
			r.engine.Forget(kind, ns, name)
		} else {
			r.engine.Observe(src, obs)
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		observe(anomaly.Pod(o))
	case *corev1.Node:
		observe(anomaly.Node(o))
	case *appsv1.Deployment:
		observe(anomaly.Deployment(o))
	case *appsv1.StatefulSet:
		observe(anomaly.StatefulSet(o))
	case *appsv1.DaemonSet:
		observe(anomaly.DaemonSet(o))
	case *corev1.PersistentVolumeClaim:
		observe(anomaly.PVC(o))
	case *batchv1.Job:
		observe(anomaly.Job(o))
		if ref := metav1.GetControllerOf(o); ref != nil && ref.Kind == rows.KindCronJob {
			r.evaluateCronJob(ns, ref.Name)
		}
	case *batchv1.CronJob:
		if deleted {
			r.engine.Forget(kind, ns, name)
		} else {
			r.evaluateCronJob(ns, name)
		}
	case *corev1.Service:
		if deleted {
			r.engine.Forget(kind, ns, name)
		} else {
			r.evaluateService(ns, name)
		}
	case *discoveryv1.EndpointSlice:
		if svc := o.Labels[discoveryv1.LabelServiceName]; svc != "" {
			r.evaluateService(ns, svc)
		}
	}
}

// evaluateService judges a Service by its EndpointSlices. Without the
// EndpointSlice informer (not served, forbidden) the rule cannot be
// judged and stays silent.
func (r *run) evaluateService(ns, name string) {
	if r.set.Store(rows.KindEndpointSlice) == nil {
		return
	}
	r.evalMu.Lock()
	defer r.evalMu.Unlock()
	o, ok := r.set.Get(rows.KindService, ns+"/"+name)
	if !ok {
		return
	}
	svc := o.(*corev1.Service)
	var slices []*discoveryv1.EndpointSlice
	for _, s := range r.set.ByIndex(rows.KindEndpointSlice, watch.IndexService, ns+"/"+name) {
		slices = append(slices, s.(*discoveryv1.EndpointSlice))
	}
	r.engine.Observe(anomaly.ObjectKey(rows.KindService, ns, name), anomaly.Service(svc, slices))
}

// evaluateCronJob judges a CronJob by its most recent finished Job.
func (r *run) evaluateCronJob(ns, name string) {
	r.evalMu.Lock()
	defer r.evalMu.Unlock()
	o, ok := r.set.Get(rows.KindCronJob, ns+"/"+name)
	if !ok {
		return
	}
	c := o.(*batchv1.CronJob)
	r.engine.Observe(anomaly.ObjectKey(rows.KindCronJob, ns, name), anomaly.CronJob(c, r.jobsOf(c)))
}

// anomalyContext returns the object's recent Warning events, newest
// first: the evidence Events add to a status-derived anomaly.
func (r *run) anomalyContext(kind, ns, name, uid string) string {
	if uid == "" || r.set == nil {
		return ""
	}
	var evs []*corev1.Event
	for _, o := range r.set.ByIndex(rows.KindEvent, watch.IndexInvolvedUID, uid) {
		if e, ok := o.(*corev1.Event); ok && e.Type == corev1.EventTypeWarning {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return ""
	}
	slices.SortFunc(evs, func(a, b *corev1.Event) int { return rows.EventTime(b).Compare(rows.EventTime(a)) })
	var b strings.Builder
	b.WriteString("events:")
	for i, e := range evs {
		if i == 3 {
			fmt.Fprintf(&b, " (+%d more)", len(evs)-3)
			break
		}
		fmt.Fprintf(&b, " [%s x%d] %s;", e.Reason, rows.EventCount(e), e.Message)
	}
	return b.String()
}

type logJob struct{ row lake.Anomaly }

// emitAnomaly writes an anomaly row, after fetching the previous
// container's log tail when the rule asks for it. The engine calls it
// under its lock, so it never blocks: a full fetch queue writes the row
// without logs.
func (r *run) emitAnomaly(row lake.Anomaly, logs bool) {
	r.a.m.transitions.WithLabelValues(row.Rule, row.State).Inc()
	r.changes.Add(1)
	if logs && !r.cfg.LogTail.Disabled && row.Kind == rows.KindPod && row.Container != "" {
		select {
		case r.logq <- logJob{row: row}:
			return
		default:
			r.a.m.logTails.WithLabelValues("queue_full").Inc()
		}
	}
	lake.Add(r.w, lake.Anomalies, row)
}

func (r *run) logWorker(ctx context.Context) {
	for job := range r.logq {
		row := job.row
		tail, err := r.fetchLogs(ctx, row.Namespace, row.Name, row.Container)
		if err != nil {
			r.a.m.logTails.WithLabelValues("error").Inc()
			r.log.Info("cannot fetch log tail for anomaly", "namespace", row.Namespace, "pod", row.Name,
				"container", row.Container, "rule", row.Rule, "error", err)
		} else {
			r.a.m.logTails.WithLabelValues("ok").Inc()
			row.LogTail = tail
		}
		lake.Add(r.w, lake.Anomalies, row)
	}
}

// fetchLogs reads the last lines of the previous instance of a container,
// or of the current one when there is no previous (a first crash not yet
// restarted), bounded in lines, bytes and time.
func (r *run) fetchLogs(ctx context.Context, ns, pod, container string) (string, error) {
	lt := r.cfg.LogTail
	var lastErr error
	for _, previous := range []bool{true, false} {
		opts := &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &lt.Lines, LimitBytes: &lt.MaxBytes}
		cctx, cancel := context.WithTimeout(ctx, lt.Timeout)
		data, err := r.cfg.Kube.PodLogs(cctx, ns, pod, opts)
		cancel()
		if err == nil {
			return redact.Text(boundText(data, int(lt.MaxBytes))), nil // secrets masked, lines kept
		}
		lastErr = err
	}
	return "", lastErr
}

// boundText keeps the end of data within max bytes, as valid UTF-8.
func boundText(data []byte, max int) string {
	if len(data) > max {
		data = data[len(data)-max:]
		for len(data) > 0 && !utf8.RuneStart(data[0]) {
			data = data[1:]
		}
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
