package ops

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config configures an Executor.
type Config struct {
	Cluster  string // required
	Instance string // this agent replica (required)
	Bucket   store.Bucket
	API      API // required
	// Keys are the public keys commands must be signed with (key id →
	// key; the agent's --command-public-keys). None: every command is
	// refused.
	Keys map[string]ed25519.PublicKey
	Skew time.Duration // allowed clock difference (default control.DefaultSkew)
	// Allow narrows what may run (default: everything).
	Allow Allow
	// Archive stores ended commands in the lake's commands table; the
	// entries leave the control object only once it returned nil.
	Archive func(ctx context.Context, rows []lake.Command) error
	// Lease is how long a claimed command stays this replica's without a
	// renewal (default 1 min); it is renewed every quarter of it.
	Lease time.Duration
	// Workers bounds the commands running at once (default 4); more wait
	// pending for the next poll.
	Workers int
	// MaxLogBytes caps a log fetch (default 1 MiB; at most
	// control.MaxOutputBytes).
	MaxLogBytes int64
	Now         func() time.Time
	Logger      *slog.Logger
}

// Executor runs a cluster's queued commands. Handle it every control
// object the agent polls; Stop it when the agent's term ends.
type Executor struct {
	cfg      Config
	log      *slog.Logger
	verifier control.Verifier

	mu       sync.Mutex
	inflight map[string]bool // being checked, run or archived by this process
	ran      map[string]bool // claimed by this process: never again
	// archived are the ids this process archived (an older poll may
	// still show them unarchived), with when.
	archived map[string]time.Time
	// stops end running commands early (a stop request).
	stops    map[string]context.CancelCauseFunc
	slots    chan struct{}
	archiver bool // an archive pass is under way
	// lastSweep is when this process last started deleting old command
	// objects (control.Sweep); sweeping while one runs.
	lastSweep time.Time
	sweeping  bool
	wg        sync.WaitGroup
	ctx       context.Context
	cancel    context.CancelFunc
}

// New builds an executor.
func New(cfg Config) (*Executor, error) {
	if cfg.Cluster == "" || cfg.Instance == "" || cfg.Bucket == nil || cfg.API == nil || cfg.Archive == nil {
		return nil, errors.New("ops: cluster, instance, bucket, API and archive are required")
	}
	if cfg.Skew <= 0 {
		cfg.Skew = control.DefaultSkew
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.MaxLogBytes <= 0 {
		cfg.MaxLogBytes = 1 << 20
	}
	cfg.MaxLogBytes = min(cfg.MaxLogBytes, control.MaxOutputBytes)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Executor{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel,
		verifier: control.Verifier{Cluster: cfg.Cluster, Keys: cfg.Keys, Skew: cfg.Skew},
		inflight: map[string]bool{}, ran: map[string]bool{}, archived: map[string]time.Time{},
		stops: map[string]context.CancelCauseFunc{}, slots: make(chan struct{}, cfg.Workers)}, nil
}

func (x *Executor) now() time.Time { return x.cfg.Now().UTC() }

// Busy reports whether a command of this executor is being run or
// reported: the agent keeps polling fast meanwhile.
func (x *Executor) Busy() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.inflight) > 0 || x.archiver
}

// Stop interrupts running commands and waits until each has reported
// (bounded by ctx). A mutating command interrupted midway ends failed with
// what it changed so far; a read-only one is left for the next leader to
// run again.
func (x *Executor) Stop(ctx context.Context) {
	x.mu.Lock()
	x.cancel() // under mu: Handle starts no command after this
	x.mu.Unlock()
	done := make(chan struct{})
	go func() { x.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Handle acts on a polled control object: it expires pending commands
// past their deadline, recovers commands whose runner stopped, starts the
// pending ones (each in its own goroutine, up to Workers) and archives
// ended entries. Store errors are returned after everything else was
// tried; the next poll tries again.
func (x *Executor) Handle(ctx context.Context, o control.Object) error {
	x.maybeSweep()
	if len(o.Commands) == 0 || x.ctx.Err() != nil {
		return nil
	}
	now := x.now()
	var errs []error
	var expired, dead, archive, drop bool
	for _, e := range o.Commands {
		if e.State == control.Running && e.StopRequestedBy != "" {
			x.mu.Lock()
			if stop := x.stops[e.ID]; stop != nil {
				stop(stopRequest{by: e.StopRequestedBy})
			}
			x.mu.Unlock()
		}
		switch {
		case e.State == control.Pending && now.After(e.Deadline.Add(x.cfg.Skew)):
			expired = true
		case e.State == control.Running && e.LeaseUntil != nil && !now.Before(*e.LeaseUntil) && !x.isInflight(e.ID):
			dead = true
		case control.Final(e.State) && !e.Archived && !x.handled(e.ID):
			archive = true
		case e.Archived && e.FinishedAt != nil && now.Sub(*e.FinishedAt) > control.KeepFinished:
			drop = true
		}
	}
	if expired {
		changed, err := control.ExpirePending(ctx, x.cfg.Bucket, x.cfg.Cluster, now, x.cfg.Skew)
		errs = append(errs, err)
		for _, e := range changed {
			x.log.Info("command expired before it was claimed", "id", e.ID, "action", e.Action, "deadline", e.Deadline)
		}
	}
	if dead {
		changed, err := control.Recover(ctx, x.cfg.Bucket, x.cfg.Cluster, now)
		errs = append(errs, err)
		for _, e := range changed {
			x.log.Warn("recovered a command whose runner stopped", "id", e.ID, "action", e.Action, "state", e.State)
		}
	}
	for _, e := range o.Pending() {
		if now.After(e.Deadline.Add(x.cfg.Skew)) || !x.take(e.ID) {
			continue
		}
		select {
		case x.slots <- struct{}{}:
		default:
			x.release(e.ID) // all workers busy: the next poll retries
			continue
		}
		x.mu.Lock()
		if x.ctx.Err() != nil { // stopped meanwhile
			x.mu.Unlock()
			<-x.slots
			x.release(e.ID)
			break
		}
		x.wg.Add(1)
		x.mu.Unlock()
		go func() {
			defer x.wg.Done()
			defer func() { <-x.slots }()
			defer x.release(e.ID)
			x.execute(e)
		}()
	}
	if archive || drop {
		errs = append(errs, x.archivePass(ctx, o, archive))
	}
	return errors.Join(errs...)
}

func (x *Executor) isInflight(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.inflight[id]
}

// take marks id in flight; false if it already is.
func (x *Executor) take(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.inflight[id] {
		return false
	}
	x.inflight[id] = true
	return true
}

func (x *Executor) release(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.inflight, id)
}

// storeCtx bounds one store call; it outlives Stop so that an
// interrupted command still reports.
func (x *Executor) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(x.ctx), 30*time.Second)
}

// execute takes one pending command from check to archive.
func (x *Executor) execute(e control.Entry) {
	ctx, cancel := x.storeCtx()
	defer cancel()
	log := x.log.With("id", e.ID, "action", e.Action, "target", e.Target.String())
	// The polled object may be older than what this executor did since:
	// act on the entry as it stands now.
	o, err := control.Read(ctx, x.cfg.Bucket, x.cfg.Cluster)
	if err != nil {
		log.Warn("cannot read the control object", "error", err)
		return
	}
	e, ok := o.Find(e.ID)
	if !ok || e.State != control.Pending {
		return
	}
	c, r, ok, err := x.check(ctx, e)
	if err != nil {
		log.Warn("cannot check a command; retrying at the next poll", "error", err)
		return
	}
	if !ok {
		log.Warn("command refused", "error", r.Error)
		if _, err := control.Finish(ctx, x.cfg.Bucket, x.cfg.Cluster, r); err != nil {
			log.Error("cannot record a refusal", "error", err)
			return
		}
		x.archiveOne(ctx, e.ID, &c, r, log)
		return
	}
	claimed, err := control.Claim(ctx, x.cfg.Bucket, x.cfg.Cluster, e.ID, x.cfg.Instance, x.now(), x.cfg.Lease, x.cfg.Skew)
	switch {
	case errors.Is(err, control.ErrExpired) || errors.Is(err, control.ErrNotPending):
		return // expired, cancelled or taken meanwhile: the archive pass reports it
	case err != nil:
		log.Error("cannot claim a command", "error", err)
		return
	}
	x.mu.Lock()
	x.ran[e.ID] = true
	x.mu.Unlock()
	log.Info("running command", "requested_by", c.RequestedBy, "reason", c.Reason)
	r = x.run(c, claimed, log)
	ctx2, cancel2 := x.storeCtx()
	defer cancel2()
	if r.State == "" {
		// A read-only command interrupted by Stop: left running, so the
		// next leader recovers and runs it again.
		return
	}
	if _, err := control.Finish(ctx2, x.cfg.Bucket, x.cfg.Cluster, r); err != nil {
		log.Error("cannot record a result", "error", err)
		return
	}
	log.Info("command ended", "state", r.State, "summary", r.Summary, "error", r.Error)
	x.archiveOne(ctx2, e.ID, &c, r, log)
}

// check verifies a pending command before it is claimed. It returns the
// command and, when ok is false, the refusal to record; err when the
// store could not answer (the next poll checks again).
func (x *Executor) check(ctx context.Context, e control.Entry) (c control.Command, r control.Result, ok bool, err error) {
	refuse := func(format string, args ...any) (control.Command, control.Result, bool, error) {
		return c, control.Result{ID: e.ID, State: control.Refused, Instance: x.cfg.Instance, FinishedAt: x.now(),
			Summary: "refused by the agent", Error: fmt.Sprintf(format, args...)}, false, nil
	}
	x.mu.Lock()
	again := x.ran[e.ID]
	x.mu.Unlock()
	if again {
		return refuse("replayed command: %s already ran on this agent", e.ID)
	}
	prev, err := control.ReadResult(ctx, x.cfg.Bucket, x.cfg.Cluster, e.ID)
	switch {
	case err == nil && prev.State == control.Refused:
		prev.Instance, prev.FinishedAt = x.cfg.Instance, x.now() // a refusal recorded before a crash
		return c, prev, false, nil
	case err == nil:
		return refuse("replayed command: %s already ended %s", e.ID, prev.State)
	case !store.IsNotFound(err):
		return c, r, false, fmt.Errorf("check for an earlier result: %w", err)
	}
	c, err = control.ReadCommand(ctx, x.cfg.Bucket, x.verifier, e.ID, x.now())
	switch {
	case err == nil:
	case c.ID == "" && !store.IsNotFound(err) && !signatureError(err):
		return c, r, false, err // the store did not answer
	default:
		return refuse("%v", err)
	}
	a, known := kinds.ActionByName(c.Action)
	switch {
	case c.Action != e.Action || c.Target != e.Target || c.RequestedBy != e.RequestedBy:
		return refuse("queue entry does not match its signed command")
	case !known:
		return refuse("unknown action %q", c.Action)
	case c.ReadOnly != a.ReadOnly || e.ReadOnly != a.ReadOnly:
		return refuse("command marked read-only %v, but %s is read-only %v", e.ReadOnly, a.Name, a.ReadOnly)
	case roleRank[c.Role] < roleRank[a.Role]:
		return refuse("role %q may not ask for %s (needs %s)", c.Role, a.Name, a.Role)
	case c.Target.Kind == kinds.Secret:
		return refuse("Secrets are never read or changed by the agent")
	case !a.Applies(c.Target.Kind):
		return refuse("%s does not apply to %s", a.Name, c.Target.Kind)
	}
	k, _ := kinds.ByName(c.Target.Kind)
	if k.Namespaced != (c.Target.Namespace != "") {
		return refuse("target %s: namespace %q does not fit a %s", c.Target, c.Target.Namespace,
			map[bool]string{true: "namespaced kind", false: "cluster-scoped kind"}[k.Namespaced])
	}
	if why := x.cfg.Allow.check(c.Action, k, c.Target.Namespace); why != "" {
		return refuse("%s", why)
	}
	if _, err := parseParams(a, c.Params); err != nil {
		return refuse("%v", err)
	}
	return c, control.Result{}, true, nil
}

// roleRank orders the roles that sign commands: the API gates them, and
// the agent checks again what was signed.
var roleRank = map[string]int{kinds.RoleOperator: 1, kinds.RoleAdmin: 2}

func signatureError(err error) bool {
	for _, s := range []error{control.ErrUnsigned, control.ErrUnknownKey, control.ErrBadSignature, control.ErrWrongCluster, control.ErrExpired} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// run executes a claimed command, renewing its lease meanwhile, and
// returns its result (State "" when a read-only command was interrupted
// by Stop and should run again elsewhere).
func (x *Executor) run(c control.Command, e control.Entry, log *slog.Logger) control.Result {
	a, _ := kinds.ActionByName(c.Action)
	k, _ := kinds.ByName(c.Target.Kind)
	p, _ := parseParams(a, c.Params)
	timeout := a.Timeout
	if p.TimeoutSeconds > 0 {
		timeout = time.Duration(p.TimeoutSeconds) * time.Second
	}
	sctx, stop := context.WithCancelCause(x.ctx)
	defer stop(nil)
	x.mu.Lock()
	x.stops[c.ID] = stop
	x.mu.Unlock()
	defer func() { x.mu.Lock(); delete(x.stops, c.ID); x.mu.Unlock() }()
	actx, cancel := context.WithTimeout(sctx, timeout)
	defer cancel()
	call := &call{cmd: c, kind: k, p: p, k: kube{x.cfg.API}, now: x.now, maxLog: x.cfg.MaxLogBytes}

	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		x.renew(actx, stop, c.ID, call, log)
	}()
	start := x.now()
	out, err := actions[c.Action](actx, call)
	cancel()
	<-renewed

	r := control.Result{ID: c.ID, Instance: x.cfg.Instance, StartedAt: start, FinishedAt: x.now(),
		Summary: out.Summary, Changes: out.Changes}
	interrupted := x.ctx.Err() != nil && err != nil
	var asked stopRequest
	stopped := err != nil && errors.As(context.Cause(sctx), &asked)
	switch {
	case interrupted && a.ReadOnly:
		return control.Result{}
	case interrupted || stopped:
		r.State, r.Error = control.Failed, "interrupted: the agent stopped while it ran"
		if stopped {
			r.State, r.Error = control.Failed, "stopped on request of "+asked.by
		}
		if len(r.Changes) > 0 {
			r.Error += " (changes so far listed)"
		}
	case err == nil:
		r.State = control.Succeeded
	case isRefusal(err) || (apierrors.IsForbidden(err) && len(out.Changes) == 0):
		r.State, r.Error = control.Refused, refusalText(err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(actx.Err(), context.DeadlineExceeded) && x.ctx.Err() == nil:
		r.State, r.Error = control.Failed, fmt.Sprintf("timed out after %s: %v", timeout, err)
	default:
		r.State, r.Error = control.Failed, err.Error()
	}
	if r.Summary == "" && r.Error != "" {
		r.Summary = c.Action + " " + r.State
	}
	if len(out.Output) > 0 {
		ctx, cancel := x.storeCtx()
		defer cancel()
		data := out.Output
		if len(data) > control.MaxOutputBytes {
			data = data[:control.MaxOutputBytes]
		}
		key := control.OutputKey(x.cfg.Cluster, c.ID)
		if _, err := x.cfg.Bucket.Put(ctx, key, data, store.IfAbsent); err != nil && !store.IsPreconditionFailed(err) {
			log.Error("cannot store a command's output", "error", err)
			if r.State == control.Succeeded {
				r.State, r.Error = control.Failed, fmt.Sprintf("output not stored: %v", err)
			}
		} else {
			r.OutputKey, r.OutputBytes, r.OutputType = key, len(data), out.OutputType
		}
	}
	return r
}

// renew extends the command's lease every quarter of it, with the
// action's progress, until ctx ends. Losing the command (another replica
// recovered it) stops the action.
func (x *Executor) renew(ctx context.Context, stop context.CancelCauseFunc, id string, c *call, log *slog.Logger) {
	t := time.NewTicker(x.cfg.Lease / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sctx, cancel := x.storeCtx()
		e, err := control.Renew(sctx, x.cfg.Bucket, x.cfg.Cluster, id, x.cfg.Instance, x.now(), x.cfg.Lease, c.Progress())
		cancel()
		switch {
		case errors.Is(err, control.ErrNotPending) || errors.Is(err, control.ErrNoCommand):
			log.Error("lost a running command's lease; stopping it", "error", err)
			stop(err)
			return
		case err == nil && e.StopRequestedBy != "":
			stop(stopRequest{by: e.StopRequestedBy})
		case err != nil:
			log.Warn("cannot renew a command's lease; will retry", "error", err)
		}
	}
}

// archiveOne writes the row of a command this executor just ended and
// marks it archived.
func (x *Executor) archiveOne(ctx context.Context, id string, c *control.Command, r control.Result, log *slog.Logger) {
	o, err := control.Read(ctx, x.cfg.Bucket, x.cfg.Cluster)
	if err != nil {
		log.Warn("cannot archive a command yet", "error", err)
		return
	}
	e, ok := o.Find(id)
	if !ok || !control.Final(e.State) || e.Archived {
		return
	}
	row := archiveRow(e, c, &r)
	if err := x.cfg.Archive(ctx, []lake.Command{row}); err != nil {
		log.Warn("cannot archive a command yet", "error", err)
		return
	}
	x.markArchived(id)
	if err := control.Archive(ctx, x.cfg.Bucket, x.cfg.Cluster, []string{id}, x.now()); err != nil {
		log.Warn("cannot mark a command archived", "error", err)
	}
}

// markArchived remembers that ids have their rows in the lake, so a stale
// view of the queue does not archive them twice.
func (x *Executor) markArchived(ids ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := x.now()
	for id, at := range x.archived {
		if now.Sub(at) > 2*control.KeepFinished {
			delete(x.archived, id)
		}
	}
	for _, id := range ids {
		x.archived[id] = now
	}
}

// handled reports whether this process is running id or archived it.
func (x *Executor) handled(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, archived := x.archived[id]
	return x.inflight[id] || archived
}

// archivePass archives ended entries nobody here is handling (cancelled,
// expired, recovered, or ended by an earlier agent) and drops old
// archived ones.
func (x *Executor) archivePass(ctx context.Context, o control.Object, archive bool) error {
	x.mu.Lock()
	if x.archiver {
		x.mu.Unlock()
		return nil
	}
	x.archiver = true
	x.mu.Unlock()
	defer func() { x.mu.Lock(); x.archiver = false; x.mu.Unlock() }()
	if archive {
		// The polled object may predate what this process archived since.
		var err error
		if o, err = control.Read(ctx, x.cfg.Bucket, x.cfg.Cluster); err != nil {
			return err
		}
	}
	var rows []lake.Command
	var ids []string
	for _, e := range o.Commands {
		if !archive || !control.Final(e.State) || e.Archived || x.isInflight(e.ID) {
			continue
		}
		if x.handled(e.ID) {
			ids = append(ids, e.ID) // its row is stored; marking it failed before
			continue
		}
		var r *control.Result
		if got, err := control.ReadResult(ctx, x.cfg.Bucket, x.cfg.Cluster, e.ID); err == nil {
			r = &got
		} else if !store.IsNotFound(err) {
			return fmt.Errorf("archive %s: %w", e.ID, err)
		}
		c := x.auditCommand(ctx, e)
		rows = append(rows, archiveRow(e, c, r))
		ids = append(ids, e.ID)
	}
	if len(rows) > 0 {
		if err := x.cfg.Archive(ctx, rows); err != nil {
			return fmt.Errorf("archive commands: %w", err)
		}
		for _, r := range rows {
			x.markArchived(r.ID)
		}
	}
	return control.Archive(ctx, x.cfg.Bucket, x.cfg.Cluster, ids, x.now())
}

// auditCommand reads what a command asked for, for its archive row: the
// signature checked as of its creation (an expired command was still
// asked for), nil when it cannot be trusted or read.
func (x *Executor) auditCommand(ctx context.Context, e control.Entry) *control.Command {
	c, err := control.ReadCommand(ctx, x.cfg.Bucket, x.verifier, e.ID, e.CreatedAt)
	if err != nil {
		return nil
	}
	return &c
}

// archiveRow is a command's row in the lake's commands table.
func archiveRow(e control.Entry, c *control.Command, r *control.Result) lake.Command {
	row := lake.Command{ID: e.ID, Action: e.Action, Kind: e.Target.Kind, Namespace: e.Target.Namespace,
		Name: e.Target.Name, Container: e.Target.Container, RequestedBy: e.RequestedBy, State: e.State,
		CreatedAt: e.CreatedAt, ClaimedAt: e.ClaimedAt, Deadline: e.Deadline, Instance: e.ClaimedBy,
		Attempts: int32(e.Attempts), Summary: e.Summary, Error: e.Error}
	if e.FinishedAt != nil {
		row.TS = *e.FinishedAt
	} else {
		row.TS = e.CreatedAt
	}
	if c != nil && c.ID == e.ID {
		row.Role, row.Reason, row.Params = c.Role, c.Reason, string(c.Params)
	}
	if r != nil && r.ID == e.ID {
		row.Summary, row.Error, row.Changes = r.Summary, r.Error, r.Changes
		row.OutputKey, row.OutputBytes = r.OutputKey, int64(r.OutputBytes)
		if row.Instance == "" {
			row.Instance = r.Instance
		}
	}
	return row
}

// stopRequest is why a command was stopped on request (RequestStop).
type stopRequest struct{ by string }

func (s stopRequest) Error() string { return "stop requested by " + s.by }

// refusal is an error meaning the action did nothing and will not: bad
// parameters, a Secret, a revision that does not exist.
type refusal struct{ msg string }

func (r refusal) Error() string { return r.msg }

func refuse(format string, args ...any) error { return refusal{fmt.Sprintf(format, args...)} }

func isRefusal(err error) bool {
	var r refusal
	return errors.As(err, &r)
}

func refusalText(err error) string {
	if apierrors.IsForbidden(err) {
		return "forbidden by the cluster's RBAC: " + err.Error()
	}
	return err.Error()
}

// decodeJSON is json.Unmarshal with the target named in the error.
func decodeJSON(what string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// SweepEvery is how often an executor deletes the objects of commands
// older than control.KeepObjects: one LIST of the cluster's commands/
// prefix a day, whatever the queue does.
const SweepEvery = 24 * time.Hour

// maybeSweep starts control.Sweep in the background when the last one is
// SweepEvery old (or none ran in this process).
func (x *Executor) maybeSweep() {
	now := x.now()
	x.mu.Lock()
	if x.ctx.Err() != nil || x.sweeping || (!x.lastSweep.IsZero() && now.Sub(x.lastSweep) < SweepEvery) {
		x.mu.Unlock()
		return
	}
	x.sweeping, x.lastSweep = true, now
	x.wg.Add(1)
	x.mu.Unlock()
	go func() {
		defer x.wg.Done()
		defer func() { x.mu.Lock(); x.sweeping = false; x.mu.Unlock() }()
		n, err := control.Sweep(x.ctx, x.cfg.Bucket, x.cfg.Cluster, now.Add(-control.KeepObjects))
		switch {
		case err != nil && x.ctx.Err() == nil:
			x.log.Warn("cannot delete old command objects; trying again in a day", "error", err)
		case n > 0:
			x.log.Info("deleted old command objects", "objects", n, "older_than", control.KeepObjects)
		}
	}()
}
