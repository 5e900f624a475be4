package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// The command queue. Per cluster, everything an idle agent needs is in the
// control object it already polls with conditional GETs: one entry per
// command that is not finished yet (and finished ones for a while, so the
// dashboard can show how they ended). Each step is a compare-and-swap of
// that object, so two submitters, two agents or a crash at any point never
// lose, duplicate or double-run a command:
//
//	submit: create-only PUT of the signed command (commands/<id>.json),
//	        then CAS: append the entry, pending
//	claim:  CAS pending → running (by one agent instance, with a lease);
//	        a command past its deadline becomes expired instead
//	finish: create-only PUT of the result (commands/<id>.result.json, and
//	        large output at commands/<id>.out), then CAS running → its end
//	cancel: CAS pending → cancelled (a running command cannot be recalled)
//	recover: a running entry whose lease ran out (its agent crashed) ends
//	        unknown — the action may or may not have happened — unless it
//	        is read-only (idempotent), which goes back to pending
//
// The id is the idempotency key: submitting the same id twice is one
// command. An id that has an entry, or whose result exists, is never run
// again (replay).

// Command states.
const (
	Pending   = "pending"
	Running   = "running"
	Succeeded = "succeeded"
	Failed    = "failed"
	Refused   = "refused"   // the agent would not run it (signature, allowlist, deadline, RBAC…)
	Unknown   = "unknown"   // its agent stopped while running it: it may or may not have acted
	Cancelled = "cancelled" // before any agent claimed it
	Expired   = "expired"   // its deadline passed before any agent claimed it
)

// Final reports whether a state is an end state.
func Final(state string) bool {
	switch state {
	case Pending, Running:
		return false
	}
	return true
}

// Target is what a command acts on.
type Target struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Container string `json:"container,omitempty"`
}

func (t Target) String() string {
	s := t.Kind + " "
	if t.Namespace != "" {
		s += t.Namespace + "/"
	}
	s += t.Name
	if t.Container != "" {
		s += " (" + t.Container + ")"
	}
	return s
}

// Command is a request for a cluster's agent to act, as the API signs it.
type Command struct {
	ID          string          `json:"id"` // a ULID; the idempotency key
	Cluster     string          `json:"cluster"`
	Action      string          `json:"action"` // e.g. pod.delete, workload.scale (agent/ops)
	Target      Target          `json:"target"`
	Params      json.RawMessage `json:"params,omitempty"`
	RequestedBy string          `json:"requested_by"`
	Role        string          `json:"role"`
	Reason      string          `json:"reason"`
	CreatedAt   time.Time       `json:"created_at"`
	Deadline    time.Time       `json:"deadline"`
	// ReadOnly commands (logs, YAML, events) may run again after their
	// agent crashed; every other one ends unknown instead.
	ReadOnly bool `json:"read_only,omitempty"`
}

var idRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`) // a ULID

// Valid checks the fields every command needs.
func (c Command) Valid() error {
	switch {
	case !idRE.MatchString(c.ID):
		return fmt.Errorf("command id %q: want a ULID", c.ID)
	case lake.ValidCluster(c.Cluster) != nil || c.Cluster == lake.GlobalCluster:
		return fmt.Errorf("command cluster %q", c.Cluster)
	case c.Action == "" || len(c.Action) > 64:
		return errors.New("command without an action")
	case c.Target.Kind == "" || c.Target.Name == "":
		return errors.New("command without a target")
	case c.RequestedBy == "":
		return errors.New("command without a requester")
	case c.CreatedAt.IsZero() || !c.Deadline.After(c.CreatedAt):
		return errors.New("command deadline not after its creation")
	case len(c.Reason) > 1024 || len(c.Params) > 16<<10:
		return errors.New("command reason or parameters too long")
	}
	return nil
}

// Entry is a command's line in the control object.
type Entry struct {
	ID          string    `json:"id"`
	Action      string    `json:"action"`
	Target      Target    `json:"target"`
	RequestedBy string    `json:"requested_by"`
	ReadOnly    bool      `json:"read_only,omitempty"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	Deadline    time.Time `json:"deadline"`
	// Claimed: by which agent instance, when; its lease on the command.
	ClaimedBy  string     `json:"claimed_by,omitempty"`
	ClaimedAt  *time.Time `json:"claimed_at,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
	Attempts   int        `json:"attempts,omitempty"`
	// Progress is what a running command reports (a drain's evictions).
	Progress string `json:"progress,omitempty"`
	// StopRequestedBy is who asked a running command to stop (RequestStop);
	// its agent stops it and reports what it changed so far.
	StopRequestedBy string     `json:"stop_requested_by,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
	Summary         string     `json:"summary,omitempty"`
	Error           string     `json:"error,omitempty"`
	// Archived: the final state is in the lake's commands table.
	Archived bool `json:"archived,omitempty"`
}

// Result is what an agent reports when a command ends.
type Result struct {
	ID         string    `json:"id"`
	Cluster    string    `json:"cluster"`
	State      string    `json:"state"`
	Instance   string    `json:"instance"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at"`
	Summary    string    `json:"summary,omitempty"`
	Error      string    `json:"error,omitempty"`
	// Changes says what the action changed ("replicas: 3 → 5").
	Changes []string `json:"changes,omitempty"`
	// Output, when the action returned more than a summary (logs, YAML),
	// is at OutputKey; OutputBytes its size.
	OutputKey   string `json:"output_key,omitempty"`
	OutputBytes int    `json:"output_bytes,omitempty"`
	OutputType  string `json:"output_type,omitempty"` // text/plain, application/yaml, application/json
}

// Limits of the queue.
const (
	// MaxActive bounds pending and running commands per cluster.
	MaxActive = 100
	// MaxOutputBytes bounds one command's output object.
	MaxOutputBytes = 4 << 20
	// KeepFinished is how long a finished entry stays in the control
	// object once archived (the dashboard shows how it ended).
	KeepFinished = 10 * time.Minute
	keepFinished = KeepFinished
	// maxFinished bounds finished entries kept, however recent.
	maxFinished = 200
)

// Errors of queue operations.
var (
	ErrQueueFull  = errors.New("too many pending commands")
	ErrNoCommand  = errors.New("no such command")
	ErrNotPending = errors.New("command is not pending")
	ErrIDReused   = errors.New("command id already used for another command")
)

// CommandKey, ResultKey and OutputKey name a command's objects.
func CommandKey(cluster, id string) string { return lake.ClusterKey(cluster, "commands/"+id+".json") }
func ResultKey(cluster, id string) string {
	return lake.ClusterKey(cluster, "commands/"+id+".result.json")
}
func OutputKey(cluster, id string) string { return lake.ClusterKey(cluster, "commands/"+id+".out") }

// Find returns the entry of id.
func (o Object) Find(id string) (Entry, bool) {
	for _, e := range o.Commands {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

func (o *Object) entry(id string) *Entry {
	for i := range o.Commands {
		if o.Commands[i].ID == id {
			return &o.Commands[i]
		}
	}
	return nil
}

// Pending lists pending commands, oldest first.
func (o Object) Pending() []Entry {
	var out []Entry
	for _, e := range o.Commands {
		if e.State == Pending {
			out = append(out, e)
		}
	}
	return out
}

// Submit signs c and queues it. Submitting an id again returns its entry
// without queueing it twice (a retried request); an id used for a
// different command is ErrIDReused.
func Submit(ctx context.Context, b store.Bucket, s Signer, c Command) (Entry, error) {
	if err := c.Valid(); err != nil {
		return Entry{}, err
	}
	signed, err := s.Sign(c)
	if err != nil {
		return Entry{}, err
	}
	data, err := json.Marshal(signed)
	if err != nil {
		return Entry{}, err
	}
	key := CommandKey(c.Cluster, c.ID)
	retry := false
	if _, err := b.Put(ctx, key, data, store.IfAbsent); store.IsPreconditionFailed(err) {
		retry = true
		// A retry: the same command, or a different one under this id.
		prev, _, gerr := b.Get(ctx, key, "")
		if gerr != nil {
			return Entry{}, fmt.Errorf("read %s: %w", key, gerr)
		}
		var ps Signed
		if json.Unmarshal(prev, &ps) != nil || !samePayload(ps.Payload, signed.Payload) {
			return Entry{}, ErrIDReused
		}
	} else if err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", key, err)
	}
	if retry {
		// Its entry may be gone already (finished, archived, pruned):
		// then its result says how it ended, and it is not queued again.
		if r, err := ReadResult(ctx, b, c.Cluster, c.ID); err == nil {
			o, err := Read(ctx, b, c.Cluster)
			if err != nil {
				return Entry{}, err
			}
			if e, ok := o.Find(c.ID); ok {
				return e, nil
			}
			return Entry{ID: c.ID, Action: c.Action, Target: c.Target, RequestedBy: c.RequestedBy, ReadOnly: c.ReadOnly,
				State: r.State, CreatedAt: c.CreatedAt.UTC(), Deadline: c.Deadline.UTC(), FinishedAt: tp(r.FinishedAt),
				Summary: clip(r.Summary, 300), Error: clip(r.Error, 300), Archived: true}, nil
		} else if !store.IsNotFound(err) {
			return Entry{}, err
		}
	}
	var out Entry
	err = update(ctx, b, c.Cluster, func(o *Object) bool {
		out = Entry{}
		if e, ok := o.Find(c.ID); ok {
			out = e
			return false
		}
		active := 0
		for _, e := range o.Commands {
			if !Final(e.State) {
				active++
			}
		}
		if active >= MaxActive {
			return false
		}
		out = Entry{ID: c.ID, Action: c.Action, Target: c.Target, RequestedBy: c.RequestedBy, ReadOnly: c.ReadOnly,
			State: Pending, CreatedAt: c.CreatedAt.UTC(), Deadline: c.Deadline.UTC()}
		o.Commands = append(o.Commands, out)
		o.UpdatedAt = c.CreatedAt.UTC()
		return true
	})
	if err == nil && out.ID == "" {
		return Entry{}, ErrQueueFull
	}
	return out, err
}

// samePayload compares two payloads of one command id, ignoring what a
// retry may legitimately change (nothing: they must be equal as signed).
func samePayload(a, b []byte) bool {
	var ca, cb Command
	if json.Unmarshal(a, &ca) != nil || json.Unmarshal(b, &cb) != nil {
		return bytes.Equal(a, b)
	}
	// A retried request is re-signed with a new creation time and
	// deadline; the action, target, parameters and requester must match.
	return ca.Cluster == cb.Cluster && ca.Action == cb.Action && ca.Target == cb.Target &&
		bytes.Equal(ca.Params, cb.Params) && ca.RequestedBy == cb.RequestedBy && ca.Reason == cb.Reason
}

// Cancel ends a pending command. A command already claimed is not
// cancelled: ErrNotPending (with its current entry).
func Cancel(ctx context.Context, b store.Bucket, cluster, id string, now time.Time) (Entry, error) {
	return transition(ctx, b, cluster, id, func(e *Entry) error {
		if e.State != Pending {
			return ErrNotPending
		}
		e.State, e.FinishedAt, e.Summary = Cancelled, tp(now), "cancelled before an agent claimed it"
		return nil
	})
}

// RequestStop asks for a command to end early: a pending one is cancelled
// at once, a running one is marked so that its agent stops it (a drain
// between two evictions) and reports it failed with what it changed so
// far. An ended command is ErrNotPending.
func RequestStop(ctx context.Context, b store.Bucket, cluster, id, by string, now time.Time) (Entry, error) {
	return transition(ctx, b, cluster, id, func(e *Entry) error {
		switch {
		case e.State == Pending:
			e.State, e.FinishedAt, e.Summary = Cancelled, tp(now), "cancelled before an agent claimed it"
		case e.State == Running && e.StopRequestedBy == "":
			e.StopRequestedBy = by
		case e.State != Running:
			return ErrNotPending
		}
		return nil
	})
}

// Claim takes a pending command for instance, with a lease until
// now+lease. A pending command whose deadline (plus skew) has passed is
// ended as expired instead (ErrExpired): it is never started.
func Claim(ctx context.Context, b store.Bucket, cluster, id, instance string, now time.Time, lease, skew time.Duration) (Entry, error) {
	expired := false
	e, err := transition(ctx, b, cluster, id, func(e *Entry) error {
		expired = false
		if e.State != Pending {
			return ErrNotPending
		}
		if now.After(e.Deadline.Add(skew)) {
			e.State, e.FinishedAt, e.Error = Expired, tp(now), "deadline passed before an agent claimed it"
			expired = true
			return nil
		}
		e.State, e.ClaimedBy, e.ClaimedAt, e.LeaseUntil = Running, instance, tp(now), tp(now.Add(lease))
		e.Attempts++
		return nil
	})
	if err == nil && expired {
		return e, ErrExpired
	}
	return e, err
}

// Renew extends the lease of a command instance is running and records
// its progress.
func Renew(ctx context.Context, b store.Bucket, cluster, id, instance string, now time.Time, lease time.Duration, progress string) (Entry, error) {
	return transition(ctx, b, cluster, id, func(e *Entry) error {
		if e.State != Running || e.ClaimedBy != instance {
			return ErrNotPending
		}
		e.LeaseUntil, e.Progress = tp(now.Add(lease)), progress
		return nil
	})
}

// Finish records r: its result object, created once (a second Finish of
// the same command finds it and changes nothing), then the entry's end
// state. Only the instance running the command finishes it; any instance
// may record a refusal of a pending one.
func Finish(ctx context.Context, b store.Bucket, cluster string, r Result) (Entry, error) {
	if !Final(r.State) || r.ID == "" {
		return Entry{}, fmt.Errorf("finish %s: state %q is not final", r.ID, r.State)
	}
	r.Cluster = cluster
	check := func(e *Entry) error {
		switch {
		case Final(e.State):
			return nil // finished before (a retry)
		case e.State == Running && e.ClaimedBy != r.Instance:
			return fmt.Errorf("command %s is %s's", r.ID, e.ClaimedBy)
		case e.State == Pending && r.State != Refused:
			return ErrNotPending
		}
		return nil
	}
	// Only its runner writes the result: check before, and again in the
	// compare-and-swap.
	o, err := Read(ctx, b, cluster)
	if err != nil {
		return Entry{}, err
	}
	cur := o.entry(r.ID)
	if cur == nil {
		return Entry{}, ErrNoCommand
	}
	if err := check(cur); err != nil {
		return *cur, err
	}
	if Final(cur.State) {
		return *cur, nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		return Entry{}, err
	}
	if _, err := b.Put(ctx, ResultKey(cluster, r.ID), data, store.IfAbsent); err != nil && !store.IsPreconditionFailed(err) {
		return Entry{}, fmt.Errorf("write result of %s: %w", r.ID, err)
	}
	return transition(ctx, b, cluster, r.ID, func(e *Entry) error {
		if err := check(e); err != nil || Final(e.State) {
			return err
		}
		e.State, e.FinishedAt, e.Summary, e.Error, e.LeaseUntil = r.State, tp(r.FinishedAt), clip(r.Summary, 300), clip(r.Error, 300), nil
		return nil
	})
}

// Recover ends running commands whose lease ran out by now. One whose
// agent wrote its result before stopping ends as the result says; else a
// read-only one goes back to pending (at most 3 attempts, before its
// deadline), and any other ends unknown — it may or may not have acted,
// and acting twice is worse than saying so. It returns the entries it
// changed.
func Recover(ctx context.Context, b store.Bucket, cluster string, now time.Time) ([]Entry, error) {
	o, err := Read(ctx, b, cluster)
	if err != nil {
		return nil, err
	}
	results := map[string]Result{}
	for _, e := range o.Commands {
		if e.State == Running && e.LeaseUntil != nil && !now.Before(*e.LeaseUntil) {
			r, err := ReadResult(ctx, b, cluster, e.ID)
			switch {
			case err == nil:
				results[e.ID] = r
			case !store.IsNotFound(err):
				return nil, err
			}
		}
	}
	var changed []Entry
	err = update(ctx, b, cluster, func(o *Object) bool {
		changed = changed[:0]
		for i := range o.Commands {
			e := &o.Commands[i]
			if e.State != Running || e.LeaseUntil == nil || now.Before(*e.LeaseUntil) {
				continue
			}
			if r, ok := results[e.ID]; ok && Final(r.State) {
				e.State, e.FinishedAt, e.Summary, e.Error, e.LeaseUntil = r.State, tp(r.FinishedAt), clip(r.Summary, 300), clip(r.Error, 300), nil
			} else if e.ReadOnly && e.Attempts < 3 && now.Before(e.Deadline) {
				e.State, e.ClaimedBy, e.ClaimedAt, e.LeaseUntil = Pending, "", nil, nil
			} else {
				e.State, e.FinishedAt, e.LeaseUntil = Unknown, tp(now), nil
				e.Error = "the agent running it stopped before reporting: it may or may not have acted"
			}
			changed = append(changed, *e)
		}
		return len(changed) > 0
	})
	return changed, err
}

// ExpirePending ends pending commands past their deadline (plus skew) —
// what the API does for a cluster whose agent never claimed them.
func ExpirePending(ctx context.Context, b store.Bucket, cluster string, now time.Time, skew time.Duration) ([]Entry, error) {
	var changed []Entry
	err := update(ctx, b, cluster, func(o *Object) bool {
		changed = changed[:0]
		for i := range o.Commands {
			e := &o.Commands[i]
			if e.State == Pending && now.After(e.Deadline.Add(skew)) {
				e.State, e.FinishedAt, e.Error = Expired, tp(now), "deadline passed before an agent claimed it"
				changed = append(changed, *e)
			}
		}
		return len(changed) > 0
	})
	return changed, err
}

// Archive marks finished entries whose end is recorded in the lake and
// drops archived ones older than keepFinished (and any beyond
// maxFinished). ids are the entries just archived.
func Archive(ctx context.Context, b store.Bucket, cluster string, ids []string, now time.Time) error {
	return update(ctx, b, cluster, func(o *Object) bool {
		changed := false
		for i := range o.Commands {
			if slices.Contains(ids, o.Commands[i].ID) && Final(o.Commands[i].State) && !o.Commands[i].Archived {
				o.Commands[i].Archived, changed = true, true
			}
		}
		finished := 0
		for i := len(o.Commands) - 1; i >= 0; i-- {
			e := o.Commands[i]
			if !Final(e.State) {
				continue
			}
			finished++
			old := e.FinishedAt != nil && now.Sub(*e.FinishedAt) > keepFinished
			if e.Archived && (old || finished > maxFinished) {
				o.Commands = slices.Delete(o.Commands, i, i+1)
				changed = true
			}
		}
		return changed
	})
}

// transition applies fn to id's entry under compare-and-swap. An error
// from fn is returned (with the entry as it stands) and nothing written.
func transition(ctx context.Context, b store.Bucket, cluster, id string, fn func(*Entry) error) (Entry, error) {
	var out Entry
	var fnErr error
	err := update(ctx, b, cluster, func(o *Object) bool {
		fnErr = nil
		e := o.entry(id)
		if e == nil {
			fnErr = ErrNoCommand
			return false
		}
		before := *e
		if fnErr = fn(e); fnErr != nil {
			out, *e = before, before
			return false
		}
		out = *e
		return true
	})
	if err != nil {
		return out, err
	}
	return out, fnErr
}

// ReadCommand reads and verifies a command's signed object.
func ReadCommand(ctx context.Context, b store.Bucket, v Verifier, id string, now time.Time) (Command, error) {
	data, _, err := b.Get(ctx, CommandKey(v.Cluster, id), "")
	if err != nil {
		return Command{}, fmt.Errorf("read command %s: %w", id, err)
	}
	var s Signed
	if err := json.Unmarshal(data, &s); err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrUnsigned, err)
	}
	c, err := v.Verify(s, now)
	if err != nil {
		return c, err
	}
	if c.ID != id {
		return c, fmt.Errorf("%w: object of %s holds command %s", ErrBadSignature, id, c.ID)
	}
	return c, nil
}

// ReadResult reads a command's result (store.ErrNotFound while it runs).
func ReadResult(ctx context.Context, b store.Bucket, cluster, id string) (Result, error) {
	data, _, err := b.Get(ctx, ResultKey(cluster, id), "")
	if err != nil {
		return Result{}, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return Result{}, fmt.Errorf("result of %s: %w", id, err)
	}
	return r, nil
}

func tp(t time.Time) *time.Time { t = t.UTC(); return &t }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Read returns a cluster's control object (the zero Object with the
// cluster set when there is none).
func Read(ctx context.Context, b store.Bucket, cluster string) (Object, error) {
	data, _, err := b.Get(ctx, ObjectKey(cluster), "")
	switch {
	case store.IsNotFound(err):
		return Object{SchemaVersion: SchemaVersion, Cluster: cluster}, nil
	case err != nil:
		return Object{}, fmt.Errorf("read %s: %w", ObjectKey(cluster), err)
	}
	return Decode(cluster, data)
}

// KeepObjects is how long a command's objects (commands/<id>.json, its
// .result.json and .out) are kept after they were written: the API shows
// an ended command's signature, result and output from them; after that
// its row in the lake's commands table is what remains.
const KeepObjects = 7 * 24 * time.Hour

// Sweep deletes the objects of cluster's commands written before cutoff,
// except those of commands still in the control object and not archived
// (active ones, whatever their age). It lists the cluster's commands/
// prefix once (one LIST per thousand objects) and returns how many
// objects it deleted.
func Sweep(ctx context.Context, b store.Bucket, cluster string, cutoff time.Time) (int, error) {
	o, err := Read(ctx, b, cluster)
	if err != nil {
		return 0, err
	}
	active := map[string]bool{}
	for _, e := range o.Commands {
		if !e.Archived {
			active[e.ID] = true
		}
	}
	prefix := lake.ClusterKey(cluster, "commands/")
	infos, err := store.ListAll(ctx, b, prefix)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, info := range infos {
		name := info.Key[len(prefix):]
		id, _, _ := strings.Cut(name, ".")
		if !idRE.MatchString(id) || active[id] || !info.Modified.Before(cutoff) {
			continue
		}
		if err := b.Delete(ctx, info.Key); err != nil {
			return deleted, err
		}
		deleted++
	}
	return deleted, nil
}
