package ops

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// cronJobTrigger runs a CronJob now, as kubectl create job --from
// cronjob/<name>: a Job from its template, owned by the CronJob (so it
// counts toward its history and is cleaned up with it) and marked manual.
func cronJobTrigger(ctx context.Context, c *call) (outcome, error) {
	var cj batchv1.CronJob
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &cj); err != nil {
		return outcome{}, err
	}
	base := cj.Name
	if len(base) > 46 {
		base = base[:46]
	}
	// The command id's random end makes the name unique and stable for
	// this command.
	name := fmt.Sprintf("%s-manual-%s", base, lowerTail(c.cmd.ID, 8))
	annotations := map[string]string{"cronjob.kubernetes.io/instantiate": "manual"}
	for k, v := range cj.Spec.JobTemplate.Annotations {
		annotations[k] = v
	}
	job := batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cj.Namespace, Labels: cj.Spec.JobTemplate.Labels,
			Annotations: annotations, OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob",
				Name: cj.Name, UID: cj.UID, Controller: ptrTo(true)}}},
		Spec: cj.Spec.JobTemplate.Spec,
	}
	var made batchv1.Job
	if err := c.k.create(ctx, kindOf(kinds.Job), cj.Namespace, "", "", job, &made); err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("created Job %s/%s from CronJob %s", made.Namespace, made.Name, cj.Name),
		Changes: []string{"created Job " + made.Namespace + "/" + made.Name}}, nil
}

// cronJobSuspend suspends or resumes a CronJob's schedule.
func cronJobSuspend(ctx context.Context, c *call, suspend bool) (outcome, error) {
	var cj batchv1.CronJob
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &cj); err != nil {
		return outcome{}, err
	}
	was := cj.Spec.Suspend != nil && *cj.Spec.Suspend
	verb := map[bool]string{true: "suspended", false: "resumed"}[suspend]
	if was == suspend {
		return outcome{Summary: fmt.Sprintf("%s was already %s", c.cmd.Target, verb)}, nil
	}
	patch := map[string]any{"spec": map[string]any{"suspend": suspend}}
	if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "", types.MergePatchType, patch, nil); err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("%s %s", verb, c.cmd.Target),
		Changes: []string{fmt.Sprintf("suspend: %v → %v", was, suspend)}}, nil
}

// jobDelete deletes a Job and, in the background, its pods.
func jobDelete(ctx context.Context, c *call) (outcome, error) {
	var j batchv1.Job
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &j); err != nil {
		return outcome{}, err
	}
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg, Preconditions: &metav1.Preconditions{UID: &j.UID}}
	if err := c.k.delete(ctx, c.kind, c.ns(), c.name(), opts); err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("deleted Job %s/%s (its pods are deleted in the background)", c.ns(), c.name()),
		Changes: []string{"job deleted"}}, nil
}

func ptrTo[T any](v T) *T { return &v }

// lowerTail is the last n characters of s, lower-cased (a ULID's random
// part, usable in object names).
func lowerTail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}
