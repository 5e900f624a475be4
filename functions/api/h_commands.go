package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"

	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/kubectl"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/store"
)

// Remote operations (docs/api.md, Operations): the API validates, signs
// and queues commands in the cluster's control object (query/control);
// the cluster's agent runs them and reports the result there.

// Limits of a command request.
const (
	maxReason = 500 // characters
	// defaultOutputBytes and the cap of max_bytes on the output route.
	defaultOutputBytes = 1 << 20
	// IdempotencyHeader carries the command id when the body does not.
	IdempotencyHeader = "Idempotency-Key"
)

var (
	errNoSigner = &apiError{Status: http.StatusServiceUnavailable, Code: "commands_disabled",
		Message: "remote operations are off: this API has no command signing key. Generate one with `api command-key` " +
			"and set ATLHYPER_COMMAND_SIGNING_KEY (docs/api.md, Operations)"}
	errQueueFull = &apiError{Status: http.StatusTooManyRequests, Code: "queue_full",
		Message: fmt.Sprintf("the cluster has %d unfinished commands; wait for some to end", control.MaxActive), RetryAfter: 10}
)

// commandRequest is the body of a submit.
type commandRequest struct {
	ID       string          `json:"id"`
	Action   string          `json:"action"`
	Target   control.Target  `json:"target"`
	Params   json.RawMessage `json:"params"`
	Reason   string          `json:"reason"`
	Deadline *time.Time      `json:"deadline"`
}

// commandView is a command as the API shows it, from the queue (the
// control object, the signed command and its result) or from the lake's
// commands table once it has ended.
type commandView struct {
	ID          string          `json:"id"`
	Cluster     string          `json:"cluster"`
	Action      string          `json:"action"`
	Target      control.Target  `json:"target"`
	Params      json.RawMessage `json:"params,omitempty"`
	RequestedBy string          `json:"requested_by"`
	Role        string          `json:"role,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	ReadOnly    bool            `json:"read_only"`
	State       string          `json:"state"`
	CreatedAt   time.Time       `json:"created_at"`
	Deadline    time.Time       `json:"deadline"`
	ClaimedBy   string          `json:"claimed_by,omitempty"`
	ClaimedAt   *time.Time      `json:"claimed_at,omitempty"`
	LeaseUntil  *time.Time      `json:"lease_until,omitempty"`
	Attempts    int             `json:"attempts,omitempty"`
	Progress    string          `json:"progress,omitempty"`
	// StopRequestedBy: someone asked a running command to stop (a drain).
	StopRequestedBy string     `json:"stop_requested_by,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
	Summary         string     `json:"summary,omitempty"`
	Error           string     `json:"error,omitempty"`
	Changes         []string   `json:"changes,omitempty"`
	OutputBytes     int64      `json:"output_bytes,omitempty"`
	OutputType      string     `json:"output_type,omitempty"`
	// Source is where the state comes from: queue or history.
	Source string `json:"source"`
}

func fromEntry(cluster string, e control.Entry) commandView {
	a, _ := kinds.ActionByName(e.Action)
	return commandView{ID: e.ID, Cluster: cluster, Action: e.Action, Target: e.Target, RequestedBy: e.RequestedBy, Role: a.Role,
		ReadOnly: e.ReadOnly, State: e.State, CreatedAt: e.CreatedAt, Deadline: e.Deadline, ClaimedBy: e.ClaimedBy,
		ClaimedAt: e.ClaimedAt, LeaseUntil: e.LeaseUntil, Attempts: e.Attempts, Progress: e.Progress, FinishedAt: e.FinishedAt,
		StopRequestedBy: e.StopRequestedBy, Summary: e.Summary, Error: e.Error, Source: "queue"}
}

// historyRow is a row of the lake's commands table as the view encodes it.
type historyRow struct {
	TS          time.Time  `json:"ts"`
	Cluster     string     `json:"cluster"`
	ID          string     `json:"id"`
	Action      string     `json:"action"`
	Kind        string     `json:"kind"`
	Namespace   string     `json:"namespace"`
	Name        string     `json:"name"`
	Container   string     `json:"container"`
	RequestedBy string     `json:"requested_by"`
	Role        string     `json:"role"`
	Reason      string     `json:"reason"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	ClaimedAt   *time.Time `json:"claimed_at"`
	Deadline    time.Time  `json:"deadline"`
	Instance    string     `json:"instance"`
	Attempts    int        `json:"attempts"`
	Summary     string     `json:"summary"`
	Error       string     `json:"error"`
	Changes     []string   `json:"changes"`
	Params      string     `json:"params"`
	OutputBytes int64      `json:"output_bytes"`
}

func fromHistory(data []byte) (commandView, error) {
	var h historyRow
	if err := json.Unmarshal(data, &h); err != nil {
		return commandView{}, fmt.Errorf("commands row: %w", err)
	}
	a, _ := kinds.ActionByName(h.Action)
	v := commandView{ID: h.ID, Cluster: h.Cluster, Action: h.Action,
		Target:      control.Target{Kind: h.Kind, Namespace: h.Namespace, Name: h.Name, Container: h.Container},
		RequestedBy: h.RequestedBy, Role: h.Role, Reason: h.Reason, ReadOnly: a.ReadOnly, State: h.State, CreatedAt: h.CreatedAt,
		Deadline: h.Deadline, ClaimedBy: h.Instance, ClaimedAt: h.ClaimedAt, Attempts: h.Attempts, Summary: h.Summary,
		Error: h.Error, Changes: h.Changes, OutputBytes: h.OutputBytes, Source: "history"}
	ts := h.TS
	v.FinishedAt = &ts
	if p := []byte(h.Params); json.Valid(p) && len(p) > 0 && string(p) != "null" {
		v.Params = p
	}
	return v, nil
}

// --- the catalog

type actionView struct {
	Name           string   `json:"name"`
	Verb           string   `json:"verb"`
	Kinds          []string `json:"kinds"`
	Role           string   `json:"role"`
	ReadOnly       bool     `json:"read_only"`
	Params         []string `json:"params"`
	TimeoutSeconds int      `json:"timeout_seconds"`
	// Allowed: the caller's role may ask for it.
	Allowed bool `json:"allowed"`
}

// listActions is the action catalog as the caller may use it, and whether
// remote operations are on at all.
func (s *Server) listActions(_ http.ResponseWriter, r *http.Request) (any, error) {
	p, _ := principal(r.Context())
	var items []actionView
	for _, a := range kinds.Actions() {
		items = append(items, actionView{Name: a.Name, Verb: a.Verb, Kinds: a.Kinds, Role: a.Role, ReadOnly: a.ReadOnly,
			Params: append([]string{}, a.Params...), TimeoutSeconds: int(a.Timeout / time.Second), Allowed: p.Role.Allows(auth.Role(a.Role))})
	}
	return map[string]any{"enabled": s.cfg.CommandSigner != nil, "items": items}, nil
}

// --- validation

// param is what one parameter of the catalog may hold.
type param struct {
	typ      string // int, bool, string
	min, max int64
	re       *regexp.Regexp
}

var (
	// objectNameRE is a Kubernetes object name (a DNS subdomain).
	objectNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	containerRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// imageRE is a container image reference: [host[:port]/]path[:tag][@digest].
	imageRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*` +
		`(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
	params = map[string]param{
		"grace_seconds":        {typ: "int", min: 0, max: 3600},
		"container":            {typ: "string", re: containerRE},
		"previous":             {typ: "bool"},
		"tail_lines":           {typ: "int", min: 1, max: 100_000},
		"since_seconds":        {typ: "int", min: 1, max: 30 * 86400},
		"replicas":             {typ: "int", min: 0, max: 10_000},
		"image":                {typ: "string", re: imageRE},
		"to_revision":          {typ: "int", min: 0, max: 1 << 31},
		"timeout_seconds":      {typ: "int", min: 1, max: 86400},
		"delete_emptydir_data": {typ: "bool"},
		"force":                {typ: "bool"},
	}
	// requiredParams are the parameters an action cannot run without.
	requiredParams = map[string][]string{"workload.scale": {"replicas"}, "workload.set_image": {"container", "image"}}
	// stateNames are the command states a filter may name.
	stateNames = []string{control.Pending, control.Running, control.Succeeded, control.Failed, control.Refused,
		control.Unknown, control.Cancelled, control.Expired}
)

// checkParams validates raw against the action's parameters and returns
// them re-encoded canonically (sorted keys, integers as integers), so a
// retried request signs the same bytes.
func checkParams(a kinds.Action, raw json.RawMessage) (json.RawMessage, *apiError) {
	vals := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := json.Unmarshal(raw, &vals); err != nil {
			return nil, badParam("params", "params must be an object")
		}
	}
	out := map[string]any{}
	for name, v := range vals {
		if !slices.Contains(a.Params, name) {
			if len(a.Params) == 0 {
				return nil, badParam("params", "%s takes no parameters (got %q)", a.Name, clipStr(name))
			}
			return nil, badParam("params", "%s takes %s, not %q", a.Name, strings.Join(a.Params, ", "), clipStr(name))
		}
		spec := params[name]
		switch spec.typ {
		case "int":
			if len(v) == 0 || v[0] == '"' {
				return nil, badParam("params", "params.%s must be an integer", name)
			}
			var n json.Number
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			if dec.Decode(&n) != nil {
				return nil, badParam("params", "params.%s must be an integer", name)
			}
			i, err := n.Int64()
			if err != nil {
				return nil, badParam("params", "params.%s must be an integer", name)
			}
			if i < spec.min || i > spec.max {
				return nil, badParam("params", "params.%s must be between %d and %d", name, spec.min, spec.max)
			}
			out[name] = i
		case "bool":
			var b bool
			if json.Unmarshal(v, &b) != nil {
				return nil, badParam("params", "params.%s must be true or false", name)
			}
			if b { // false is the default: leave it out
				out[name] = true
			}
		case "string":
			var str string
			if json.Unmarshal(v, &str) != nil || len(str) > 512 || !spec.re.MatchString(str) {
				return nil, badParam("params", "params.%s: invalid value %q", name, clipStr(str))
			}
			out[name] = str
		}
	}
	for _, name := range requiredParams[a.Name] {
		if _, ok := out[name]; !ok {
			return nil, badParam("params", "%s needs params.%s", a.Name, name)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, badParam("params", "unencodable parameters")
	}
	return data, nil
}

// checkTarget validates an action's target.
func checkTarget(a kinds.Action, t control.Target) *apiError {
	if t.Kind == kinds.Secret {
		return badParam("target.kind", "Secrets are never the target of a remote operation")
	}
	k, ok := kinds.ByName(t.Kind)
	if !ok {
		return badParam("target.kind", "unknown kind %q", clipStr(t.Kind))
	}
	if !a.Applies(t.Kind) {
		return badParam("target.kind", "%s does not apply to %s (it applies to %s)", a.Name, t.Kind, strings.Join(a.Kinds, ", "))
	}
	switch {
	case k.Namespaced && !validNamespace(t.Namespace):
		return badParam("target.namespace", "%s is namespaced: give a valid target.namespace", t.Kind)
	case !k.Namespaced && t.Namespace != "":
		return badParam("target.namespace", "%s is cluster-scoped: leave target.namespace empty", t.Kind)
	case len(t.Name) > 253 || !objectNameRE.MatchString(t.Name):
		return badParam("target.name", "invalid target.name %q", clipStr(t.Name))
	case t.Container != "":
		return badParam("target.container", "give the container as params.container")
	}
	return nil
}

// checkReason validates the reason a person gives for a command.
func checkReason(s string) (string, *apiError) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", badParam("reason", "say why: a reason is required")
	case !utf8.ValidString(s):
		return "", badParam("reason", "reason must be UTF-8 text")
	case utf8.RuneCountInString(s) > maxReason:
		return "", badParam("reason", "reason longer than %d characters", maxReason)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", badParam("reason", "reason contains control characters")
		}
	}
	return s, nil
}

// commandID reads the idempotency key from the body or the header.
func commandID(r *http.Request, body string) (string, *apiError) {
	hdr := strings.TrimSpace(r.Header.Get(IdempotencyHeader))
	if body != "" && hdr != "" && !strings.EqualFold(body, hdr) {
		return "", badParam("id", "the body's id and the %s header differ", IdempotencyHeader)
	}
	id := body
	if id == "" {
		id = hdr
	}
	if id == "" {
		return ulid.Make().String(), nil
	}
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return "", badParam("id", "the command id (idempotency key) must be a ULID, e.g. %s", ulid.Make())
	}
	return u.String(), nil
}

// commandParams validates {cluster} and {id}.
func commandParams(r *http.Request) (string, string, *apiError) {
	c, perr := clusterParam(r)
	if perr != nil {
		return "", "", perr
	}
	u, err := ulid.ParseStrict(chi.URLParam(r, "id"))
	if err != nil {
		return "", "", badParam("id", "invalid command id")
	}
	return c, u.String(), nil
}

func auditTarget(cluster string, t control.Target) string {
	return "cluster/" + cluster + "/" + t.String()
}

// --- submit

func (s *Server) submitCommand(_ http.ResponseWriter, r *http.Request) (any, error) {
	rid := requestID(r.Context())
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	if s.cfg.CommandSigner == nil {
		return nil, errNoSigner
	}
	p, _ := principal(r.Context())
	var req commandRequest
	if perr := decode(r, &req); perr != nil {
		return nil, perr
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	cmd, perr := s.buildCommand(r, c, p, req, now)
	if perr != nil {
		if perr.Status == http.StatusForbidden {
			// A refusal by role is worth knowing about.
			s.auditCommand(r, "command.submit", c, cmd, perr.Status, nil)
		}
		return nil, perr
	}
	if err := s.cfg.View.CheckCluster(r.Context(), c); err != nil {
		return nil, err
	}
	e, err := control.Submit(r.Context(), s.cfg.Bucket, *s.cfg.CommandSigner, cmd)
	status := http.StatusCreated
	switch {
	case errors.Is(err, control.ErrIDReused):
		s.auditCommand(r, "command.submit", c, cmd, http.StatusConflict, nil)
		return nil, &apiError{Status: http.StatusConflict, Code: "conflict", Field: "id",
			Message: "this command id was used for a different command: a retry must repeat the same action, target, parameters and reason"}
	case errors.Is(err, control.ErrQueueFull):
		s.auditCommand(r, "command.submit", c, cmd, http.StatusTooManyRequests, nil)
		return nil, errQueueFull
	case errors.Is(err, control.ErrContention):
		return nil, &apiError{Status: http.StatusServiceUnavailable, Code: "busy", Message: err.Error(), RetryAfter: 1}
	case err != nil:
		return nil, err
	case !e.CreatedAt.Equal(cmd.CreatedAt):
		status = http.StatusOK // a retry of a command queued before
	}
	if aerr := s.auditCommand(r, "command.submit", c, cmd, status, map[string]any{"replay": status == http.StatusOK}); aerr != nil {
		// No command without its audit record: take it back while no
		// agent has it.
		if _, cerr := control.Cancel(context.WithoutCancel(r.Context()), s.cfg.Bucket, c, cmd.ID, s.cfg.Now()); cerr != nil && status == http.StatusCreated {
			s.cfg.Logger.Error("command queued without its audit record", "request_id", rid, "cluster", c, "id", cmd.ID, "audit_error", aerr, "cancel_error", cerr)
		}
		return nil, errAudit
	}
	// Someone is acting on this cluster: its agent should poll fast.
	if _, err := control.Watch(r.Context(), s.cfg.Bucket, c, s.cfg.Now(), control.MaxWatch); err != nil {
		s.cfg.Logger.Warn("renew watch lease on submit", "request_id", rid, "cluster", c, "error", err)
	}
	v := fromEntry(c, e)
	v.Params, v.Reason, v.Role = cmd.Params, cmd.Reason, string(p.Role)
	if status == http.StatusOK {
		v.Role = "" // the original requester's, read by the detail route
		return v, nil
	}
	return created{v}, nil
}

// buildCommand validates a request into a command. A 403 comes with the
// command as far as it was understood, for the audit record.
func (s *Server) buildCommand(r *http.Request, cluster string, p auth.Principal, req commandRequest, now time.Time) (control.Command, *apiError) {
	a, ok := kinds.ActionByName(req.Action)
	if !ok {
		names := []string{}
		for _, a := range kinds.Actions() {
			names = append(names, a.Name)
		}
		return control.Command{}, badParam("action", "unknown action %q (one of %s)", clipStr(req.Action), strings.Join(names, ", "))
	}
	cmd := control.Command{Cluster: cluster, Action: a.Name, Target: req.Target, RequestedBy: p.Username, Role: string(p.Role),
		CreatedAt: now, ReadOnly: a.ReadOnly}
	if perr := checkTarget(a, req.Target); perr != nil {
		return cmd, perr
	}
	if !p.Role.Allows(auth.Role(a.Role)) {
		return cmd, &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: fmt.Sprintf("%s needs the %s role", a.Name, a.Role)}
	}
	var perr *apiError
	if cmd.Params, perr = checkParams(a, req.Params); perr != nil {
		return cmd, perr
	}
	if cmd.Reason, perr = checkReason(req.Reason); perr != nil {
		return cmd, perr
	}
	if cmd.ID, perr = commandID(r, req.ID); perr != nil {
		return cmd, perr
	}
	cmd.Deadline = now.Add(a.Timeout)
	if req.Deadline != nil {
		d := req.Deadline.UTC().Truncate(time.Millisecond)
		if !d.After(now.Add(5*time.Second)) || d.After(cmd.Deadline) {
			return cmd, badParam("deadline", "deadline must be within the next %s (the action's timeout), and at least 5 s away", human(a.Timeout))
		}
		cmd.Deadline = d
	}
	return cmd, nil
}

// auditCommand writes the audit record of a submit or cancel: who, which
// action on which target, and why.
func (s *Server) auditCommand(r *http.Request, action, cluster string, c control.Command, status int, extra map[string]any) error {
	params := map[string]any{"id": c.ID, "cluster": cluster, "action": c.Action, "reason": c.Reason}
	if len(c.Params) > 0 {
		params["params"] = json.RawMessage(c.Params)
	}
	for k, v := range extra {
		params[k] = v
	}
	return s.record(r, action, auditTarget(cluster, c.Target), params, outcomeOf(status), status)
}

// --- parse

func (s *Server) parseCommand(_ http.ResponseWriter, r *http.Request) (any, error) {
	if _, perr := clusterParam(r); perr != nil {
		return nil, perr
	}
	var req struct {
		Line string `json:"line"`
	}
	if perr := decode(r, &req); perr != nil {
		return nil, perr
	}
	cmd, err := kubectl.Parse(req.Line)
	if err != nil {
		var pe *kubectl.Error
		ae := badParam("line", "%s", err.Error())
		ae.Code = "unsupported_command"
		if errors.As(err, &pe) {
			ae.Extra = map[string]any{"part": pe.Part}
		}
		return nil, ae
	}
	a, _ := kinds.ActionByName(cmd.Action)
	raw, _ := json.Marshal(cmd.Params)
	canon, perr := checkParams(a, raw)
	if perr != nil {
		return nil, perr
	}
	if perr := checkTarget(a, cmd.Target); perr != nil {
		return nil, perr
	}
	p, _ := principal(r.Context())
	return map[string]any{"action": a.Name, "target": cmd.Target, "params": canon, "verb": a.Verb,
		"role": a.Role, "read_only": a.ReadOnly, "timeout_seconds": int(a.Timeout / time.Second),
		"allowed": p.Role.Allows(auth.Role(a.Role))}, nil
}

// --- read

// expireStale ends pending commands of o past their deadline, for a
// cluster whose agent never claimed them (nothing is written otherwise).
func (s *Server) expireStale(ctx context.Context, cluster string, o control.Object) control.Object {
	now := s.cfg.Now()
	stale := false
	for _, e := range o.Commands {
		stale = stale || (e.State == control.Pending && now.After(e.Deadline.Add(control.DefaultSkew)))
	}
	if !stale {
		return o
	}
	if _, err := control.ExpirePending(ctx, s.cfg.Bucket, cluster, now, control.DefaultSkew); err != nil {
		s.cfg.Logger.Warn("expire stale commands", "cluster", cluster, "error", err)
		return o
	}
	if fresh, err := control.Read(ctx, s.cfg.Bucket, cluster); err == nil {
		return fresh
	}
	return o
}

// commandFilter is what the list routes filter by.
type commandFilter struct {
	states, actions []string
}

func (f commandFilter) match(v commandView) bool {
	return (len(f.states) == 0 || slices.Contains(f.states, v.State)) && (len(f.actions) == 0 || slices.Contains(f.actions, v.Action))
}

func (s *Server) listCommands(scoped bool) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		clusters, err := s.clustersFor(r, scoped)
		if err != nil {
			return nil, err
		}
		var perr *apiError
		q := r.URL.Query()
		var f commandFilter
		if f.states, perr = parseList(q, "state", len(stateNames), func(v string) bool { return slices.Contains(stateNames, v) }); perr != nil {
			return nil, perr
		}
		if f.actions, perr = parseList(q, "action", 30, func(v string) bool { _, ok := kinds.ActionByName(v); return ok }); perr != nil {
			return nil, perr
		}
		rq := lakeview.RecordQuery{Table: "commands", Clusters: clusters, Key: "id", Exclude: []string{"output_key"}}
		if perr = s.recordPage(q, &rq, 7*24*time.Hour, 366*24*time.Hour); perr != nil {
			return nil, perr
		}
		if rq.Limit > 200 {
			return nil, badParam("limit", "limit must be between 1 and 200")
		}
		if len(f.states) > 0 {
			rq.Where = append(rq.Where, lakeview.In("state", f.states))
		}
		if len(f.actions) > 0 {
			rq.Where = append(rq.Where, lakeview.In("action", f.actions))
		}
		page, err := s.cfg.View.Records(r.Context(), rq)
		if err != nil {
			return nil, err
		}
		items := []commandView{}
		seen := map[string]bool{}
		var history []commandView
		for _, raw := range page.Items {
			v, err := fromHistory(raw)
			if err != nil {
				return nil, err
			}
			seen[v.Cluster+"/"+v.ID] = true
			history = append(history, v)
		}
		if rq.Cursor == "" {
			// The first page starts with what the queues hold: commands
			// waiting or running, and ended ones not in the lake yet.
			queued, err := s.queued(r.Context(), clusters, f, rq.From)
			if err != nil {
				return nil, err
			}
			for _, v := range queued {
				if !seen[v.Cluster+"/"+v.ID] {
					items = append(items, v)
				}
			}
		}
		total := page.Total + len(items)
		items = append(items, history...)
		data := make([][]byte, len(items))
		for i, v := range items {
			data[i], _ = json.Marshal(v)
		}
		return listPage{data, page.NextCursor, total, s.cfg.Now().UTC(), nil}, nil
	}
}

// queued reads the queue entries of clusters (their control objects, a
// few at a time), unfinished first, then by when they ended or began.
func (s *Server) queued(ctx context.Context, clusters []string, f commandFilter, since time.Time) ([]commandView, error) {
	out := make([][]commandView, len(clusters))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, c := range clusters {
		g.Go(func() error {
			o, err := control.Read(gctx, s.cfg.Bucket, c)
			if err != nil {
				return err
			}
			o = s.expireStale(gctx, c, o)
			for _, e := range o.Commands {
				v := fromEntry(c, e)
				if f.match(v) && !e.CreatedAt.Before(since) {
					out[i] = append(out[i], v)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	all := slices.Concat(out...)
	key := func(v commandView) time.Time {
		if v.FinishedAt != nil {
			return *v.FinishedAt
		}
		return v.CreatedAt
	}
	sort.SliceStable(all, func(i, j int) bool {
		ai, aj := control.Final(all[i].State), control.Final(all[j].State)
		if ai != aj {
			return !ai
		}
		return key(all[i]).After(key(all[j]))
	})
	return all, nil
}

// commandDetail is a command with its result.
type commandDetail struct {
	commandView
	Result *control.Result `json:"result,omitempty"`
	// Signature: whether the stored command object is the one this API
	// signed — valid, invalid, or unverified (signed with a key this
	// instance does not hold, or no signing key).
	Signature string `json:"signature,omitempty"`
	CanCancel bool   `json:"can_cancel"`
	// CanStop: running, not yet asked to stop, and the caller's role may
	// ask for the action.
	CanStop bool `json:"can_stop"`
	// CanReadOutput: the caller may read the output (operators, and the
	// person who asked).
	CanReadOutput bool `json:"can_read_output"`
}

// readSigned reads and checks a command's stored object.
func (s *Server) readSigned(ctx context.Context, cluster, id string) (control.Command, string, error) {
	data, _, err := s.cfg.Bucket.Get(ctx, control.CommandKey(cluster, id), "")
	if err != nil {
		return control.Command{}, "", err
	}
	var sg control.Signed
	var cmd control.Command
	if json.Unmarshal(data, &sg) != nil || json.Unmarshal(sg.Payload, &cmd) != nil {
		return control.Command{}, "invalid", nil
	}
	if cmd.ID != id || cmd.Cluster != cluster {
		return cmd, "invalid", nil
	}
	if s.cfg.CommandSigner == nil || sg.KeyID != s.cfg.CommandSigner.KeyID {
		return cmd, "unverified", nil
	}
	keys, _ := control.ParseKeys(s.cfg.CommandSigner.PublicKey())
	_, err = control.Verifier{Cluster: cluster, Keys: keys}.Verify(sg, cmd.CreatedAt)
	if err != nil && !errors.Is(err, control.ErrExpired) {
		return cmd, "invalid", nil
	}
	return cmd, "valid", nil
}

// command assembles what is known of one command; ErrNoCommand if
// nothing.
func (s *Server) command(ctx context.Context, p auth.Principal, cluster, id string) (commandDetail, error) {
	o, err := control.Read(ctx, s.cfg.Bucket, cluster)
	if err != nil {
		return commandDetail{}, err
	}
	o = s.expireStale(ctx, cluster, o)
	e, inQueue := o.Find(id)
	cmd, sig, err := s.readSigned(ctx, cluster, id)
	if err != nil && !store.IsNotFound(err) {
		return commandDetail{}, err
	}
	signed := err == nil
	var d commandDetail
	switch {
	case inQueue:
		d.commandView = fromEntry(cluster, e)
	case signed:
		d.commandView = commandView{ID: id, Cluster: cluster, Action: cmd.Action, Target: cmd.Target, RequestedBy: cmd.RequestedBy,
			ReadOnly: cmd.ReadOnly, CreatedAt: cmd.CreatedAt, Deadline: cmd.Deadline, Source: "queue"}
	}
	if signed && sig != "invalid" {
		d.Params, d.Reason, d.Role = cmd.Params, cmd.Reason, cmd.Role
	}
	if signed {
		d.Signature = sig
	}
	res, rerr := control.ReadResult(ctx, s.cfg.Bucket, cluster, id)
	switch {
	case rerr == nil:
		d.Result = &res
		d.Changes, d.OutputBytes, d.OutputType = res.Changes, int64(res.OutputBytes), res.OutputType
		if !inQueue {
			fin := res.FinishedAt
			d.State, d.FinishedAt, d.Summary, d.Error, d.ClaimedBy = res.State, &fin, res.Summary, res.Error, res.Instance
		}
	case !store.IsNotFound(rerr):
		return commandDetail{}, rerr
	}
	if !inQueue && d.Result == nil {
		// Ended and archived (cancelled, expired), or only in the lake.
		h, err := s.historyRow(ctx, cluster, id, cmd.CreatedAt)
		switch {
		case err == nil:
			if d.Reason == "" || d.Signature == "invalid" {
				d.Reason, d.Role, d.Params = h.Reason, h.Role, h.Params
			}
			h.Params, h.Reason, h.Role = d.Params, d.Reason, d.Role
			d.commandView = h
		case !errors.Is(err, control.ErrNoCommand):
			return commandDetail{}, err
		case signed:
			// Written but never queued (its submit stopped half way):
			// it will never run.
			d.State = "not_queued"
		default:
			return commandDetail{}, control.ErrNoCommand
		}
	}
	if d.Result != nil {
		d.Result.OutputKey = "" // the store's layout is not the client's business
	}
	a, _ := kinds.ActionByName(d.Action)
	d.CanCancel = d.State == control.Pending && p.Role.Allows(auth.Role(a.Role))
	d.CanStop = d.State == control.Running && d.StopRequestedBy == "" && p.Role.Allows(auth.Role(a.Role))
	d.CanReadOutput = p.Role.Allows(auth.Operator) || p.Username == d.RequestedBy
	return d, nil
}

// historyRow finds a command in the lake's commands table.
func (s *Server) historyRow(ctx context.Context, cluster, id string, created time.Time) (commandView, error) {
	from := s.cfg.Now().Add(-366 * 24 * time.Hour)
	if !created.IsZero() {
		from = created.Add(-time.Hour)
	}
	page, err := s.cfg.View.Records(ctx, lakeview.RecordQuery{Table: "commands", Clusters: []string{cluster}, Key: "id",
		Exclude: []string{"output_key"}, From: from, To: s.cfg.Now().Add(time.Hour), Where: []lakeview.Filter{lakeview.Eq("id", id)}, Limit: 1})
	if err != nil {
		return commandView{}, err
	}
	if len(page.Items) == 0 {
		return commandView{}, control.ErrNoCommand
	}
	return fromHistory(page.Items[0])
}

// loadCommand answers {cluster}/{id} routes' common part: the command as
// the caller sees it.
func (s *Server) loadCommand(r *http.Request) (d commandDetail, c, id string, err error) {
	c, id, perr := commandParams(r)
	if perr != nil {
		return d, c, id, perr
	}
	if err := s.cfg.View.CheckCluster(r.Context(), c); err != nil {
		return d, c, id, err
	}
	p, _ := principal(r.Context())
	d, err = s.command(r.Context(), p, c, id)
	if errors.Is(err, control.ErrNoCommand) {
		return d, c, id, notFound("no command %s in cluster %s", id, c)
	}
	return d, c, id, err
}

func (s *Server) getCommand(_ http.ResponseWriter, r *http.Request) (any, error) {
	d, _, _, err := s.loadCommand(r)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// getOutput serves a command's output (logs, YAML, describe, history) as
// text. Pod logs and object YAML can show more than the dashboard's
// stripped views, so only operators (who may ask for them) and the person
// who asked read it.
func (s *Server) getOutput(w http.ResponseWriter, r *http.Request) (any, error) {
	c, id, perr := commandParams(r)
	if perr != nil {
		return nil, perr
	}
	maxBytes, perr := parseLimit(map[string][]string{"limit": r.URL.Query()["max_bytes"]}, defaultOutputBytes, control.MaxOutputBytes)
	if perr != nil {
		return nil, badParam("max_bytes", "max_bytes must be between 1 and %d", control.MaxOutputBytes)
	}
	p, _ := principal(r.Context())
	if !p.Role.Allows(auth.Operator) {
		cmd, sig, err := s.readSigned(r.Context(), c, id)
		if err != nil && !store.IsNotFound(err) {
			return nil, err
		}
		if err != nil || sig == "invalid" || cmd.RequestedBy != p.Username {
			return nil, &apiError{Status: http.StatusForbidden, Code: "forbidden",
				Message: "a command's output is readable by operators and by the person who asked for it"}
		}
	}
	res, err := control.ReadResult(r.Context(), s.cfg.Bucket, c, id)
	if store.IsNotFound(err) {
		return nil, notFound("command %s has no result yet", id)
	}
	if err != nil {
		return nil, err
	}
	if res.OutputKey == "" {
		return nil, notFound("command %s has no output", id)
	}
	if res.OutputKey != control.OutputKey(c, id) {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "corrupt_object", Message: "the result names another object as its output"}
	}
	data, err := s.cfg.Bucket.GetRange(r.Context(), res.OutputKey, 0, int64(maxBytes)+1)
	if store.IsNotFound(err) {
		return nil, &apiError{Status: http.StatusGone, Code: "gone", Message: "the output is no longer kept"}
	}
	if err != nil {
		return nil, err
	}
	h := w.Header()
	if len(data) > maxBytes {
		data = data[:maxBytes]
		h.Set("X-AtlHyper-Truncated", "true")
	}
	h.Set("Content-Type", "text/plain; charset=utf-8") // never rendered as anything else
	if res.OutputType != "" {
		h.Set("X-AtlHyper-Output-Type", res.OutputType)
	}
	return raw{bytes.NewReader(data)}, nil
}

// cancelCommand ends a pending command; stopCommand (stop true) also asks
// a running one to stop (control.RequestStop): its agent ends it between
// two steps (a drain between two evictions) and reports it failed with
// what it changed so far.
func (s *Server) cancelCommand(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.endCommand(r, false)
}

func (s *Server) stopCommand(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.endCommand(r, true)
}

func (s *Server) endCommand(r *http.Request, stop bool) (any, error) {
	rid := requestID(r.Context())
	audit, verb := "command.cancel", "cancelling"
	if stop {
		audit, verb = "command.stop", "stopping"
	}
	d, c, id, err := s.loadCommand(r)
	if err != nil {
		return nil, err
	}
	p, _ := principal(r.Context())
	cmd := control.Command{ID: id, Action: d.Action, Target: d.Target, Reason: d.Reason}
	a, _ := kinds.ActionByName(d.Action)
	if !p.Role.Allows(auth.Role(a.Role)) {
		s.auditCommand(r, audit, c, cmd, http.StatusForbidden, nil)
		return nil, &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: fmt.Sprintf("%s %s needs the %s role", verb, a.Name, a.Role)}
	}
	var e control.Entry
	if stop {
		e, err = control.RequestStop(r.Context(), s.cfg.Bucket, c, id, p.Username, s.cfg.Now())
	} else {
		e, err = control.Cancel(r.Context(), s.cfg.Bucket, c, id, s.cfg.Now())
	}
	switch {
	case errors.Is(err, control.ErrNotPending), errors.Is(err, control.ErrNoCommand):
		state := d.State
		if e.State != "" {
			state = e.State
		}
		s.auditCommand(r, audit, c, cmd, http.StatusConflict, map[string]any{"state": state})
		msg := fmt.Sprintf("only a pending command can be cancelled; this one is %s", state)
		if stop {
			msg = fmt.Sprintf("only a pending or running command can be stopped; this one is %s", state)
		}
		return nil, &apiError{Status: http.StatusConflict, Code: "not_pending", Extra: map[string]any{"state": state}, Message: msg}
	case err != nil:
		return nil, err
	}
	if aerr := s.auditCommand(r, audit, c, cmd, http.StatusOK, nil); aerr != nil {
		// The command is cancelled (or asked to stop) either way.
		s.cfg.Logger.Error(audit+" without its audit record", "request_id", rid, "cluster", c, "id", id, "error", aerr)
		return nil, errAudit
	}
	v := fromEntry(c, e)
	v.Params, v.Reason, v.Role = d.Params, d.Reason, d.Role
	return v, nil
}
