package anomaly

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Config configures an Engine.
type Config struct {
	Cluster string
	// Rules replaces Defaults (e.g. with shorter thresholds in tests).
	Rules []Rule
	// UpdateInterval is the least time between two rows of one open
	// anomaly for count changes (default 5 min). Opening, resolving and
	// severity changes are written at once.
	UpdateInterval time.Duration
	Now            func() time.Time
	// Emit receives every transition row. logs is true for open rows of
	// rules that want the previous container's log tail: the caller
	// fetches it, fills LogTail and writes the row.
	Emit func(row lake.Anomaly, logs bool)
	// Context, if set, returns recent evidence about an object (its
	// Warning events) to append to the message of an open row.
	Context func(kind, namespace, name, uid string) string
}

// MaxMessage bounds messages in rows and state.
const MaxMessage = 4096

// maxCounters bounds the occurrence counters remembered per anomaly.
const maxCounters = 64

// Engine tracks anomalies. It is safe for concurrent use.
type Engine struct {
	mu       sync.Mutex
	cfg      Config
	rules    map[string]Rule
	states   map[string]*entry          // by fingerprint
	bySource map[string]map[string]bool // source → fingerprints it asserts
	byObject map[string]map[string]bool // object key → fingerprints about it
	synced   bool
	version  uint64 // bumped on every change to persisted state
	// openVersion is bumped on changes to open anomalies (transitions,
	// counts): the ones a restart must not lose. Pending ones merely
	// restart their threshold if lost.
	openVersion uint64
}

// entry is one anomaly, pending or open. Exported fields persist in State.
type entry struct {
	Fingerprint   string           `json:"fingerprint"`
	Rule          string           `json:"rule"`
	Severity      string           `json:"severity"`
	Kind          string           `json:"kind"`
	Namespace     string           `json:"namespace,omitempty"`
	Name          string           `json:"name"`
	UID           string           `json:"uid,omitempty"`
	Container     string           `json:"container,omitempty"`
	Node          string           `json:"node,omitempty"`
	Reason        string           `json:"reason,omitempty"`
	Message       string           `json:"message,omitempty"`
	ExitCode      *int32           `json:"exit_code,omitempty"`
	TermReason    string           `json:"termination_reason,omitempty"`
	TermMessage   string           `json:"termination_message,omitempty"`
	FirstSeen     time.Time        `json:"first_seen"`
	LastSeen      time.Time        `json:"last_seen"`
	Count         int32            `json:"count"`
	Open          bool             `json:"open"`
	PendingSince  time.Time        `json:"pending_since"`
	ClearingSince *time.Time       `json:"clearing_since,omitempty"`
	PulseUntil    *time.Time       `json:"pulse_until,omitempty"`
	Asserted      bool             `json:"asserted,omitempty"` // ever held as a state (not only pulses)
	Counters      map[string]int64 `json:"counters,omitempty"`
	CounterOrder  []string         `json:"counter_order,omitempty"`
	EmittedCount  int32            `json:"emitted_count"`
	EmittedSev    string           `json:"emitted_severity,omitempty"`
	EmittedAt     time.Time        `json:"emitted_at"`

	sources  map[string]bool
	restored bool
}

// signature is what Observe may change that persists or shows.
type signature struct {
	severity, reason, message, node string
	count                           int32
	lastSeen                        time.Time
	pulseUntil                      time.Time
	clearing                        bool
}

func (e *entry) signature() signature {
	s := signature{e.Severity, e.Reason, e.Message, e.Node, e.Count, e.LastSeen, time.Time{}, e.ClearingSince != nil}
	if e.PulseUntil != nil {
		s.pulseUntil = *e.PulseUntil
	}
	return s
}

func (e *entry) objectKey() string { return ObjectKey(e.Kind, e.Namespace, e.Name) }

// New returns an engine.
func New(cfg Config) *Engine {
	if cfg.Rules == nil {
		cfg.Rules = Defaults
	}
	if cfg.UpdateInterval <= 0 {
		cfg.UpdateInterval = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Emit == nil {
		cfg.Emit = func(lake.Anomaly, bool) {}
	}
	e := &Engine{cfg: cfg, rules: map[string]Rule{}, states: map[string]*entry{},
		bySource: map[string]map[string]bool{}, byObject: map[string]map[string]bool{}}
	for _, r := range cfg.Rules {
		e.rules[r.Name] = r
	}
	return e
}

// Rule returns the engine's rule by name.
func (e *Engine) Rule(name string) (Rule, bool) {
	r, ok := e.rules[name]
	return r, ok
}

// Observe replaces what source asserts with obs. A condition that source
// no longer asserts, and nothing else does, starts to clear.
func (e *Engine) Observe(source string, obs []Observation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now().UTC()
	var asserted map[string]bool
	for i := range obs {
		fp, state := e.observe(source, &obs[i], now)
		if state {
			if asserted == nil {
				asserted = map[string]bool{}
			}
			asserted[fp] = true
		}
	}
	for fp := range e.bySource[source] {
		if asserted[fp] {
			continue
		}
		if st := e.states[fp]; st != nil {
			delete(st.sources, source)
			e.step(st, now)
		}
	}
	if asserted == nil {
		delete(e.bySource, source)
	} else {
		e.bySource[source] = asserted
	}
}

// observe records one observation; it reports the fingerprint and whether
// it asserts a state (rather than a pulse).
func (e *Engine) observe(source string, o *Observation, now time.Time) (string, bool) {
	rule, ok := e.rules[o.Rule]
	if !ok {
		return "", false
	}
	fp := Fingerprint(e.cfg.Cluster, o.Rule, o.Kind, o.Namespace, o.Name, o.Container)
	at := o.At
	if at.IsZero() || at.After(now) {
		at = now
	}
	var until time.Time
	if o.Pulse {
		until = at.Add(rule.ClearAfter)
	}
	st := e.states[fp]
	first := st == nil
	if first {
		if o.Pulse && !until.After(now) {
			return fp, false // an old termination or event, already over
		}
		start := o.Since
		if o.Pulse {
			start = at
		}
		if start.IsZero() || start.After(now) {
			start = now
		}
		st = &entry{Fingerprint: fp, Rule: o.Rule, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name,
			Container: o.Container, FirstSeen: start, LastSeen: start, PendingSince: start, Count: 1,
			sources: map[string]bool{}}
		if o.Pulse && o.Counter > 1 {
			st.Count = int32(min(o.Counter, 1<<30))
		}
		e.states[fp] = st
		if e.byObject[st.objectKey()] == nil {
			e.byObject[st.objectKey()] = map[string]bool{}
		}
		e.byObject[st.objectKey()][fp] = true
	}
	before := st.signature()
	st.Severity = cmp.Or(o.Severity, rule.Severity)
	st.UID = cmp.Or(o.UID, st.UID)
	st.Node = cmp.Or(o.Node, st.Node)
	st.Reason = cmp.Or(o.Reason, st.Reason)
	st.Message = truncate(cmp.Or(o.Message, st.Message))
	if o.ExitCode != nil || o.TerminationReason != "" {
		st.ExitCode, st.TermReason, st.TermMessage = o.ExitCode, o.TerminationReason, truncate(o.TerminationMsg)
	}
	if o.CounterKey != "" {
		prev, known := st.Counters[o.CounterKey]
		var delta int64
		switch {
		case first:
		case !known:
			delta = max(o.Counter, 1)
		case o.Counter > prev:
			delta = o.Counter - prev
		}
		if delta > 0 {
			st.Count = int32(min(int64(st.Count)+delta, 1<<30))
			if at.After(st.LastSeen) {
				st.LastSeen = at
			}
		}
		if !known || o.Counter != prev {
			e.setCounter(st, o.CounterKey, o.Counter)
			first = true // persisted state changed
		}
	}
	if o.Pulse {
		if st.PulseUntil == nil || until.After(*st.PulseUntil) {
			st.PulseUntil = &until
		}
		if at.After(st.LastSeen) {
			st.LastSeen = at
		}
	} else {
		st.sources[source] = true
		st.Asserted = true
		st.ClearingSince = nil
	}
	if first || st.signature() != before {
		e.version++
		if st.Open {
			e.openVersion++
		}
	}
	e.step(st, now)
	return fp, !o.Pulse
}

func (e *Engine) setCounter(st *entry, key string, v int64) {
	if st.Counters == nil {
		st.Counters = map[string]int64{}
	}
	if _, ok := st.Counters[key]; !ok {
		st.CounterOrder = append(st.CounterOrder, key)
		if len(st.CounterOrder) > maxCounters {
			delete(st.Counters, st.CounterOrder[0])
			st.CounterOrder = st.CounterOrder[1:]
		}
	}
	st.Counters[key] = v
}

func truncate(s string) string {
	s = rows.Text(s)
	if len(s) <= MaxMessage {
		return s
	}
	cut := MaxMessage
	for cut > 0 && s[cut]&0xC0 == 0x80 { // keep UTF-8 whole
		cut--
	}
	return s[:cut] + "…"
}

// step applies the transitions due for st at now.
func (e *Engine) step(st *entry, now time.Time) {
	if st.restored && !e.synced {
		return // its sources have not been re-observed yet
	}
	rule := e.rules[st.Rule]
	active := len(st.sources) > 0 || (st.PulseUntil != nil && st.PulseUntil.After(now))
	if !st.Open {
		if !active {
			e.drop(st)
			return
		}
		if now.Sub(st.PendingSince) >= rule.Threshold {
			st.Open = true
			e.emit(st, lake.AnomalyOpen, now, rule.Logs)
		}
		return
	}
	if active {
		st.ClearingSince = nil
		if st.Severity != st.EmittedSev || (st.Count != st.EmittedCount && now.Sub(st.EmittedAt) >= e.cfg.UpdateInterval) {
			e.emit(st, lake.AnomalyUpdate, now, false)
		}
		return
	}
	if !st.Asserted {
		e.resolve(st, now) // pulses only: their window is the hysteresis
		return
	}
	if st.ClearingSince == nil {
		st.ClearingSince = &now
		// current.json says so within the state interval: still open,
		// but nobody should mistake it for an ongoing problem. (No row:
		// a crash loop clears between back-offs, and the lake keeps
		// transitions, not flapping.)
		e.version++
		e.openVersion++
	}
	if now.Sub(*st.ClearingSince) >= rule.ClearAfter {
		e.resolve(st, now)
	}
}

// resolvesAt is when an open anomaly resolves unless its condition holds
// again: the end of its clear-after period while clearing, the end of its
// pulse window for pulses; nil while the condition holds.
func (e *Engine) resolvesAt(st *entry) *time.Time {
	if st.ClearingSince != nil {
		t := st.ClearingSince.Add(e.rules[st.Rule].ClearAfter)
		return &t
	}
	if !st.Asserted && st.PulseUntil != nil {
		t := *st.PulseUntil
		return &t
	}
	return nil
}

func (e *Engine) emit(st *entry, state string, now time.Time, logs bool) {
	row := lake.Anomaly{
		TS: now, Fingerprint: st.Fingerprint, Rule: st.Rule, Severity: st.Severity, State: state,
		Kind: st.Kind, Namespace: st.Namespace, Name: st.Name, UID: st.UID, Node: st.Node, Container: st.Container,
		Reason: st.Reason, Message: st.Message, FirstSeen: st.FirstSeen, LastSeen: st.LastSeen, Count: st.Count,
		ExitCode: st.ExitCode, TerminationReason: st.TermReason, TerminationMessage: st.TermMessage,
	}
	if state == lake.AnomalyOpen && e.cfg.Context != nil {
		if c := e.cfg.Context(st.Kind, st.Namespace, st.Name, st.UID); c != "" {
			row.Message = truncate(row.Message + "\n" + c)
		}
	}
	st.EmittedCount, st.EmittedSev, st.EmittedAt = st.Count, st.Severity, now
	e.version++
	e.openVersion++
	rows.Clean(&row)
	e.cfg.Emit(row, logs)
}

func (e *Engine) resolve(st *entry, now time.Time) {
	e.emit(st, lake.AnomalyResolved, now, false)
	e.drop(st)
}

func (e *Engine) drop(st *entry) {
	delete(e.states, st.Fingerprint)
	key := st.objectKey()
	if m := e.byObject[key]; m != nil {
		delete(m, st.Fingerprint)
		if len(m) == 0 {
			delete(e.byObject, key)
		}
	}
	for src := range st.sources {
		if m := e.bySource[src]; m != nil {
			delete(m, st.Fingerprint)
			if len(m) == 0 {
				delete(e.bySource, src)
			}
		}
	}
	e.version++
}

// Forget resolves every anomaly about an object that is gone (and drops
// pending ones), including those events reported about it. source is
// the object's own source key, whose assertions are dropped.
func (e *Engine) Forget(kind, namespace, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now().UTC()
	key := ObjectKey(kind, namespace, name)
	for fp := range e.byObject[key] {
		st := e.states[fp]
		if st == nil {
			continue
		}
		if st.Open {
			e.resolve(st, now)
		} else {
			e.drop(st)
		}
	}
	delete(e.bySource, key)
}

// Tick applies time-driven transitions: thresholds reached, conditions
// cleared long enough, pulses expired, rate-limited count updates.
func (e *Engine) Tick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now().UTC()
	for _, fp := range e.sortedFingerprints() {
		if st := e.states[fp]; st != nil {
			e.step(st, now)
		}
	}
}

func (e *Engine) sortedFingerprints() []string {
	fps := make([]string, 0, len(e.states))
	for fp := range e.states {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	return fps
}

// Synced tells the engine that every object has been observed since it
// started: restored anomalies nothing re-asserted start to clear.
func (e *Engine) Synced() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.synced = true
	now := e.cfg.Now().UTC()
	for _, fp := range e.sortedFingerprints() {
		st := e.states[fp]
		if st == nil {
			continue
		}
		st.restored = false
		e.step(st, now)
	}
}

// Version changes whenever the state that Snapshot persists changes;
// OpenVersion only when open anomalies change.
func (e *Engine) Version() (all, open uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.version, e.openVersion
}

// StateVersion is the schema version of State.
const StateVersion = 1

// State is what the engine persists so that a restarted agent neither
// reopens (duplicates) nor forgets (loses) anomalies, and counts on from
// where it stopped.
type State struct {
	SchemaVersion int      `json:"schema_version"`
	Cluster       string   `json:"cluster"`
	Anomalies     []*entry `json:"anomalies"`
}

// Snapshot returns the engine's open anomalies. Pending ones are left
// out: after a restart they are seen again and their threshold counts
// from the condition's own start time where the object records one.
func (e *Engine) Snapshot() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := State{SchemaVersion: StateVersion, Cluster: e.cfg.Cluster, Anomalies: []*entry{}}
	for _, fp := range e.sortedFingerprints() {
		if !e.states[fp].Open {
			continue
		}
		c := *e.states[fp]
		c.Counters = maps(c.Counters)
		c.CounterOrder = slices.Clone(c.CounterOrder)
		c.sources = nil
		s.Anomalies = append(s.Anomalies, &c)
	}
	return s
}

func maps(m map[string]int64) map[string]int64 {
	if m == nil {
		return nil
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Restore loads a persisted state. Call it before the first observation.
// Restored anomalies wait for Synced before anything can clear them.
func (e *Engine) Restore(s State) error {
	if s.SchemaVersion != StateVersion {
		return fmt.Errorf("anomaly state schema %d, want %d", s.SchemaVersion, StateVersion)
	}
	if s.Cluster != e.cfg.Cluster {
		return fmt.Errorf("anomaly state of cluster %q, not %q", s.Cluster, e.cfg.Cluster)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range s.Anomalies {
		if a == nil || a.Fingerprint == "" {
			continue
		}
		if _, ok := e.rules[a.Rule]; !ok {
			continue // a rule this version no longer has
		}
		st := *a
		st.sources, st.restored = map[string]bool{}, true
		e.states[st.Fingerprint] = &st
		if e.byObject[st.objectKey()] == nil {
			e.byObject[st.objectKey()] = map[string]bool{}
		}
		e.byObject[st.objectKey()][st.Fingerprint] = true
	}
	return nil
}

// Open lists open anomalies, most severe first, then most recent.
func (e *Engine) Open() []lake.OpenAnomaly {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []lake.OpenAnomaly
	for _, st := range e.states {
		if !st.Open {
			continue
		}
		o := lake.OpenAnomaly{Fingerprint: st.Fingerprint, Rule: st.Rule, Severity: st.Severity, Status: lake.AnomalyOpen,
			Kind: st.Kind, Namespace: st.Namespace, Name: st.Name, Container: st.Container, Node: st.Node,
			Reason: st.Reason, Message: st.Message, FirstSeen: st.FirstSeen, LastSeen: st.LastSeen, Count: st.Count,
			ResolvesAt: e.resolvesAt(st)}
		if st.ClearingSince != nil {
			o.Status = lake.AnomalyCleared
			t := *st.ClearingSince
			o.ClearedAt = &t
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b lake.OpenAnomaly) int {
		return cmp.Or(cmp.Compare(SeverityRank(a.Severity), SeverityRank(b.Severity)), b.LastSeen.Compare(a.LastSeen),
			cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out
}

// SeverityRank orders severities, most severe first.
func SeverityRank(s string) int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	case Info:
		return 2
	}
	return 3
}
