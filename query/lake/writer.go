package lake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

// Sink receives finished objects. Put must be atomic (the object appears
// whole or not at all) and idempotent for a given key: the writer retries a
// failed Put with the same key and bytes.
type Sink interface {
	Put(ctx context.Context, key string, data []byte) error
}

// StoreSink puts objects into a bucket, create-only so that nothing is ever
// overwritten.
type StoreSink struct{ Bucket store.Bucket }

func (s StoreSink) Put(ctx context.Context, key string, data []byte) error {
	_, err := s.Bucket.Put(ctx, key, data, store.IfAbsent)
	if store.IsPreconditionFailed(err) {
		// Keys carry a fresh ULID, so an existing key is our own earlier
		// attempt that landed after its response was lost.
		return nil
	}
	return err
}

// WriterConfig configures a Writer.
type WriterConfig struct {
	Cluster string // partition of every row this writer writes
	Writer  string // writer name in object keys, e.g. "agent"
	Sink    Sink
	// A table's buffer is flushed when it holds MaxRows rows or MaxBytes
	// (encoded row groups plus an estimate of the rows not yet encoded),
	// or when its oldest row has waited MaxAge.
	MaxRows  int           // default 5,000,000
	MaxBytes int           // default 32 MiB
	MaxAge   time.Duration // default 5 min
	// GroupRows and GroupBytes (estimated in memory) bound the rows a
	// table holds as Go values: at either, they are sorted and encoded
	// into a row group of the object the next flush writes, so a table
	// costs its compressed size (about 2–5 bytes a row) however long it
	// waits. Defaults 32,768 rows and 4 MiB.
	GroupRows, GroupBytes int
	// Align flushes every buffer at each multiple of MaxAge in UTC
	// instead: with a MaxAge that divides an hour, no object straddles
	// an hour and a cluster's tables are written together.
	Align bool
	// MaxPendingBytes bounds the encoded objects held in memory while the
	// sink refuses them (default 64 MiB). Beyond it the oldest are
	// dropped, counted in WriterStats and logged: a store that stays
	// away costs history, never the process.
	MaxPendingBytes int
	Logger          *slog.Logger
	Now             func() time.Time // for tests
	// NewTicker makes the ticker Run checks buffers by, every second
	// (default time.NewTicker): with Now, what a simulation in virtual
	// time replaces so that MaxAge holds in that time.
	NewTicker func(d time.Duration) (c <-chan time.Time, stop func())
	// AfterFlush, if set, is called by Run after a flush that encoded
	// objects (the agent hands the flush's memory back then).
	AfterFlush func()
}

// Writer batches rows per table and writes them as Parquet objects: one
// object per table per flush (per hour of data), rows sorted by the
// table's key. It is safe for concurrent use.
type Writer struct {
	cfg      WriterConfig
	mu       sync.Mutex
	buffers  map[string]buffer
	pending  []pendingObject // encoded but not yet accepted by the sink
	pendingB int             // bytes in pending
	flushMu  sync.Mutex      // one flush at a time keeps objects in order
	stats    WriterStats
	recent   []storedKey // objects stored lately, oldest first (for tails)
	inflight time.Time   // oldest row of buffers a flush is encoding
	kick     chan struct{}
	stopOnce sync.Once
}

// WriterStats count what a writer has done.
type WriterStats struct {
	Rows, Objects, Bytes, Errors int64
	PendingObjects, PendingBytes int
	// DroppedObjects and DroppedRows count pending objects given up
	// because MaxPendingBytes was reached.
	DroppedObjects, DroppedRows int64
	LastFlush                   time.Time
	LastError                   string
	// CompleteUntil: every row added before it has reached the sink (the
	// oldest buffered row's arrival, or now when nothing waits).
	CompleteUntil time.Time
}

type storedKey struct {
	key string
	at  time.Time
}

// Tails list the objects stored within recentWindow before them (at most
// maxRecent): long enough to outlast any reader's listing cache.
const (
	recentWindow = 5 * time.Minute
	maxRecent    = 256
)

type pendingObject struct {
	key   string
	data  []byte
	table string
	rows  int
	added time.Time // when its oldest row was added
}

// buffer is the untyped view of a tableBuffer[R].
type buffer interface {
	// size is the rows held (encoded or not) and the bytes they take
	// (encoded, plus the estimate of the rest).
	size() (rows, bytes int)
	since() time.Time
	// take empties the buffer and returns the work that encodes its rows
	// into objects (one per hour of data), to run without the lock.
	take(w *Writer) func() ([]pendingObject, error)
	// peek returns a tail's parts: the row groups already encoded, as
	// objects, at once; and the work that encodes a copy of the other
	// rows, to run without the lock.
	peek() ([]hourPart, func() ([]hourPart, error), error)
}

type tableBuffer[R any] struct {
	t      *Table[R]
	rows   []R // not yet encoded
	bytes  int // estimated size of rows
	oldest time.Time
	sizeOf func(*R) int
	// groups holds, per UTC hour, the object being written: rows already
	// sorted and encoded into row groups.
	groups  map[time.Time]*encoder[R]
	encRows int
	encB    int
}

func (b *tableBuffer[R]) size() (int, int) { return len(b.rows) + b.encRows, b.bytes + b.encB }
func (b *tableBuffer[R]) since() time.Time { return b.oldest }

// encode moves the rows not yet encoded into row groups (one per hour).
func (b *tableBuffer[R]) encode() error {
	rows := b.rows
	b.rows, b.bytes = nil, 0
	var errs []error
	for _, h := range splitHours(b.t, rows) {
		e := b.groups[h.hour]
		if e == nil {
			var err error
			if e, err = b.t.newEncoder(levelFresh); err != nil {
				errs = append(errs, err)
				continue
			}
			if b.groups == nil {
				b.groups = map[time.Time]*encoder[R]{}
			}
			b.groups[h.hour] = e
		}
		before := e.size()
		b.t.Sort(h.rows)
		if err := e.writeGroup(h.rows); err != nil {
			errs = append(errs, err)
			continue
		}
		b.encRows += len(h.rows)
		b.encB += e.size() - before
	}
	return errors.Join(errs...)
}

func (b *tableBuffer[R]) take(w *Writer) func() ([]pendingObject, error) {
	rows, oldest, groups := b.rows, b.oldest, b.groups
	b.rows, b.bytes, b.oldest, b.groups, b.encRows, b.encB = nil, 0, time.Time{}, nil, 0, 0
	return func() ([]pendingObject, error) {
		var out []pendingObject
		var errs []error
		hours := splitHours(b.t, rows)
		for h := range groups {
			if !slices.ContainsFunc(hours, func(p hourRows[R]) bool { return p.hour.Equal(h) }) {
				hours = append(hours, hourRows[R]{hour: h})
			}
		}
		sort.Slice(hours, func(i, j int) bool { return hours[i].hour.Before(hours[j].hour) })
		for _, h := range hours {
			e := groups[h.hour]
			if e == nil {
				var err error
				if e, err = b.t.newEncoder(levelFresh); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			b.t.Sort(h.rows)
			if err := e.writeGroup(h.rows); err != nil {
				errs = append(errs, err)
				continue
			}
			data, meta, err := e.finish()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			k := ObjectKey{Table: b.t.name, Cluster: w.cfg.Cluster, Date: Day(h.hour), Span: HourSpan(h.hour.Hour()), Writer: w.cfg.Writer, ID: NewULID(w.cfg.Now())}
			out = append(out, pendingObject{key: k.Key(), data: data, table: b.t.name, rows: int(meta.Rows), added: oldest})
		}
		return out, errors.Join(errs...)
	}
}

func (b *tableBuffer[R]) peek() ([]hourPart, func() ([]hourPart, error), error) {
	var parts []hourPart
	for h, e := range b.groups {
		data, err := e.snapshot()
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, hourPart{table: b.t.name, hour: h, data: data, rows: int(e.meta.Rows)})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].hour.Before(parts[j].hour) })
	if len(b.rows) == 0 {
		return parts, nil, nil
	}
	// Appends never touch rows[:len], so the copy of the slice header is a
	// stable snapshot; encoding sorts, so it works on a copy of the rows.
	rows := slices.Clone(b.rows)
	return parts, func() ([]hourPart, error) { return encodeHours(b.t, rows) }, nil
}

// hourRows are the rows of one UTC hour.
type hourRows[R any] struct {
	hour time.Time
	rows []R
}

// splitHours splits rows by UTC hour, in order of first appearance.
func splitHours[R any](t *Table[R], rows []R) []hourRows[R] {
	if len(rows) == 0 {
		return nil
	}
	first := t.timeOf(&rows[0]).UTC().Truncate(time.Hour)
	split := false
	for i := range rows {
		if !t.timeOf(&rows[i]).UTC().Truncate(time.Hour).Equal(first) {
			split = true
			break
		}
	}
	if !split { // the usual case: no copying
		return []hourRows[R]{{hour: first, rows: rows}}
	}
	var out []hourRows[R]
	idx := map[time.Time]int{}
	for i := range rows {
		h := t.timeOf(&rows[i]).UTC().Truncate(time.Hour)
		j, ok := idx[h]
		if !ok {
			j = len(out)
			idx[h] = j
			out = append(out, hourRows[R]{hour: h})
		}
		out[j].rows = append(out[j].rows, rows[i])
	}
	return out
}

// hourPart is one hour's rows of one table, encoded.
type hourPart struct {
	table string
	hour  time.Time
	data  []byte
	rows  int
}

// encodeObjects splits rows by UTC hour and encodes one object per hour.
func encodeObjects[R any](w *Writer, t *Table[R], rows []R) ([]pendingObject, error) {
	parts, err := encodeHours(t, rows)
	out := make([]pendingObject, 0, len(parts))
	for _, p := range parts {
		k := ObjectKey{Table: t.name, Cluster: w.cfg.Cluster, Date: Day(p.hour), Span: HourSpan(p.hour.Hour()), Writer: w.cfg.Writer, ID: NewULID(w.cfg.Now())}
		out = append(out, pendingObject{key: k.Key(), data: p.data, table: t.name, rows: p.rows})
	}
	return out, err
}

// encodeHours splits rows by UTC hour and encodes each hour, in order.
func encodeHours[R any](t *Table[R], rows []R) ([]hourPart, error) {
	hours := splitHours(t, rows)
	sort.Slice(hours, func(i, j int) bool { return hours[i].hour.Before(hours[j].hour) })
	var out []hourPart
	for _, h := range hours {
		data, meta, err := t.Encode(h.rows)
		if err != nil {
			return out, err
		}
		out = append(out, hourPart{table: t.name, hour: h.hour, data: data, rows: int(meta.Rows)})
	}
	return out, nil
}

// NewWriter returns a writer; call Run to flush by age and Close to finish.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if err := ValidCluster(cfg.Cluster); err != nil {
		return nil, err
	}
	if err := ValidWriter(cfg.Writer); err != nil {
		return nil, err
	}
	if cfg.Sink == nil {
		return nil, errors.New("lake writer: no sink")
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = 5_000_000
	}
	if cfg.GroupRows <= 0 {
		cfg.GroupRows = 32_768
	}
	if cfg.GroupBytes <= 0 {
		cfg.GroupBytes = 4 << 20
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 32 << 20
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * time.Minute
	}
	if cfg.MaxPendingBytes <= 0 {
		cfg.MaxPendingBytes = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Writer{cfg: cfg, buffers: map[string]buffer{}, kick: make(chan struct{}, 1)}, nil
}

// Cluster is the cluster this writer writes for.
func (w *Writer) Cluster() string { return w.cfg.Cluster }

// Add buffers rows for table t. It never blocks on the store; a buffer
// that reaches its size limit is flushed by Run.
func Add[R any](w *Writer, t *Table[R], rows ...R) {
	if len(rows) == 0 {
		return
	}
	w.mu.Lock()
	b, ok := w.buffers[t.name].(*tableBuffer[R])
	if !ok {
		b = &tableBuffer[R]{t: t, sizeOf: sizeOf[R](t)}
		w.buffers[t.name] = b
	}
	if len(b.rows) == 0 {
		b.oldest = w.cfg.Now()
	}
	b.rows = append(b.rows, rows...)
	for i := range rows {
		b.bytes += b.sizeOf(&rows[i])
	}
	var encErr error
	if len(b.rows) >= w.cfg.GroupRows || b.bytes >= w.cfg.GroupBytes {
		// Encoded here, under the lock, so that a tail or flush never
		// misses rows on their way into a row group. A few hundred
		// milliseconds per 32,768 rows, once a minute at most.
		encErr = b.encode()
	}
	n, size := b.size()
	full := n >= w.cfg.MaxRows || size >= w.cfg.MaxBytes
	w.mu.Unlock()
	if encErr != nil {
		w.recordError(fmt.Errorf("encode %s: %w", t.name, encErr))
	}
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// sizeOf estimates a row's in-memory size for the byte limit: JSON detail
// and log tails dominate where present.
func sizeOf[R any](t *Table[R]) func(*R) int {
	switch any(t).(type) {
	case *Table[Detail]:
		return func(r *R) int { return 128 + len(any(r).(*Detail).Object) }
	case *Table[Anomaly]:
		return func(r *R) int { a := any(r).(*Anomaly); return 256 + len(a.LogTail) + len(a.Message) }
	case *Table[NodeMetric]:
		// The struct and its three strings (decoded per push, not shared).
		return func(r *R) int { m := any(r).(*NodeMetric); return 80 + len(m.Node) + len(m.Metric) + len(m.Device) }
	}
	return func(*R) int { return 256 }
}

// WriteNow writes rows as their own objects immediately (one per hour of
// data), bypassing batching: a checkpoint must land as one object so that
// no reader ever sees half of it.
func WriteNow[R any](ctx context.Context, w *Writer, t *Table[R], rows []R) error {
	if len(rows) == 0 {
		return nil
	}
	objs, err := encodeObjects(w, t, rows)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t.name, err)
	}
	for i := range objs {
		objs[i].added = w.cfg.Now()
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.enqueue(objs)
	return w.drain(ctx)
}

// enqueue appends objects to pending and, beyond MaxPendingBytes, drops
// the oldest: the newest hold the latest checkpoint and state, from which
// the cluster's history continues. The newest object itself is always kept.
func (w *Writer) enqueue(objs []pendingObject) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, o := range objs {
		w.pending = append(w.pending, o)
		w.pendingB += len(o.data)
	}
	var dropped, rows int
	for w.pendingB > w.cfg.MaxPendingBytes && len(w.pending) > 1 {
		o := w.pending[0]
		w.pending[0] = pendingObject{}
		w.pending = w.pending[1:]
		w.pendingB -= len(o.data)
		dropped++
		rows += o.rows
	}
	if dropped > 0 {
		w.stats.DroppedObjects += int64(dropped)
		w.stats.DroppedRows += int64(rows)
		w.cfg.Logger.Error("lake writer backlog full: oldest objects dropped", "cluster", w.cfg.Cluster,
			"objects", dropped, "rows", rows, "max_pending_bytes", w.cfg.MaxPendingBytes)
	}
}

// Run flushes buffers by age and size until ctx ends. It does not flush on
// exit; call Close for that.
func (w *Writer) Run(ctx context.Context) {
	newTicker := w.cfg.NewTicker
	if newTicker == nil {
		newTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	tick, stop := newTicker(time.Second)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-w.kick:
		}
		flushed, err := w.flushDue(ctx, false)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("lake flush failed; will retry", "cluster", w.cfg.Cluster, "error", err)
		}
		if flushed && w.cfg.AfterFlush != nil {
			w.cfg.AfterFlush()
		}
	}
}

// Flush writes every buffered row now.
func (w *Writer) Flush(ctx context.Context) error { return w.flush(ctx, true) }

// Close flushes everything; rows still pending after it are reported.
func (w *Writer) Close(ctx context.Context) error {
	if err := w.Flush(ctx); err != nil {
		st := w.Stats()
		return fmt.Errorf("lake writer close: %d objects not written: %w", st.PendingObjects, err)
	}
	return nil
}

func (w *Writer) flush(ctx context.Context, all bool) error {
	_, err := w.flushDue(ctx, all)
	return err
}

// flushDue is flush, and reports whether any buffer was due.
func (w *Writer) flushDue(ctx context.Context, all bool) (bool, error) {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	now := w.cfg.Now()
	w.mu.Lock()
	var due []func() ([]pendingObject, error)
	names := make([]string, 0, len(w.buffers))
	for name := range w.buffers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := w.buffers[name]
		rows, bytes := b.size()
		if rows == 0 {
			continue
		}
		if all || rows >= w.cfg.MaxRows || bytes >= w.cfg.MaxBytes || w.aged(b.since(), now) {
			if w.inflight.IsZero() || b.since().Before(w.inflight) {
				w.inflight = b.since() // taken, not yet pending: still incomplete
			}
			due = append(due, b.take(w))
		}
	}
	w.mu.Unlock()
	defer func() { w.mu.Lock(); w.inflight = time.Time{}; w.mu.Unlock() }()
	var encErr error
	for _, encode := range due {
		objs, err := encode()
		if err != nil {
			encErr = errors.Join(encErr, err)
		}
		w.enqueue(objs)
	}
	if encErr != nil {
		w.recordError(encErr)
	}
	return len(due) > 0, errors.Join(encErr, w.drain(ctx))
}

// aged reports whether a buffer whose oldest row arrived at oldest is due.
func (w *Writer) aged(oldest, now time.Time) bool {
	if w.cfg.Align {
		return !now.Truncate(w.cfg.MaxAge).Equal(oldest.Truncate(w.cfg.MaxAge))
	}
	return now.Sub(oldest) >= w.cfg.MaxAge
}

// drain hands pending objects to the sink in order, stopping at the first
// failure so that a later retry keeps the order. Caller holds flushMu.
func (w *Writer) drain(ctx context.Context) error {
	for {
		w.mu.Lock()
		if len(w.pending) == 0 {
			w.stats.LastFlush = w.cfg.Now()
			w.mu.Unlock()
			return nil
		}
		obj := w.pending[0]
		w.mu.Unlock()
		if err := w.cfg.Sink.Put(ctx, obj.key, obj.data); err != nil {
			err = fmt.Errorf("put %s: %w", obj.key, err)
			w.recordError(err)
			return err
		}
		w.mu.Lock()
		if len(w.pending) > 0 && w.pending[0].key == obj.key {
			w.pending[0] = pendingObject{}
			w.pending = w.pending[1:]
			w.pendingB -= len(obj.data)
		}
		w.recent = append(w.recent, storedKey{key: obj.key, at: w.cfg.Now()})
		if len(w.recent) > maxRecent {
			w.recent = slices.Delete(w.recent, 0, len(w.recent)-maxRecent)
		}
		w.stats.Objects++
		w.stats.Rows += int64(obj.rows)
		w.stats.Bytes += int64(len(obj.data))
		w.mu.Unlock()
	}
}

func (w *Writer) recordError(err error) {
	w.mu.Lock()
	w.stats.Errors++
	w.stats.LastError = err.Error()
	w.mu.Unlock()
}

// Stats returns a snapshot of the writer's counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.PendingObjects, s.PendingBytes = len(w.pending), w.pendingB
	s.CompleteUntil = w.cfg.Now()
	for _, b := range w.buffers {
		if n, _ := b.size(); n > 0 && b.since().Before(s.CompleteUntil) {
			s.CompleteUntil = b.since()
		}
	}
	for _, o := range w.pending {
		if o.added.Before(s.CompleteUntil) {
			s.CompleteUntil = o.added
		}
	}
	if !w.inflight.IsZero() && w.inflight.Before(s.CompleteUntil) {
		s.CompleteUntil = w.inflight
	}
	return s
}

// Buffered returns the rows currently buffered per table.
func (w *Writer) Buffered() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for name, b := range w.buffers {
		if n, _ := b.size(); n > 0 {
			out[name] = n
		}
	}
	return out
}

// Tail takes a snapshot of what the writer holds for a tail object: every
// buffered row, encoded as one part per table and hour, and every object
// not yet accepted by the sink, with the moment taken and the keys stored
// shortly before. The writer keeps all of it. The caller fills in the
// manifest's instance and current state.
func (w *Writer) Tail() (TailManifest, [][]byte, error) {
	w.mu.Lock()
	m := TailManifest{Cluster: w.cfg.Cluster, Writer: w.cfg.Writer, AsOf: w.cfg.Now().UTC()}
	names := make([]string, 0, len(w.buffers))
	for name, b := range w.buffers {
		if n, _ := b.size(); n > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var encoded []hourPart
	var encode []func() ([]hourPart, error)
	for _, name := range names {
		parts, enc, err := w.buffers[name].peek()
		if err != nil {
			w.mu.Unlock()
			return TailManifest{}, nil, fmt.Errorf("tail: %w", err)
		}
		encoded = append(encoded, parts...)
		if enc != nil {
			encode = append(encode, enc)
		}
	}
	pending := slices.Clone(w.pending)
	for _, r := range w.recent {
		if m.AsOf.Sub(r.at) <= recentWindow {
			m.Recent = append(m.Recent, r.key)
		}
	}
	w.mu.Unlock()

	var data [][]byte
	for _, p := range encoded {
		m.Parts = append(m.Parts, TailPart{Table: p.table, Hour: p.hour, Rows: p.rows})
		data = append(data, p.data)
	}
	for _, enc := range encode {
		parts, err := enc()
		if err != nil {
			return TailManifest{}, nil, fmt.Errorf("tail: %w", err)
		}
		for _, p := range parts {
			m.Parts = append(m.Parts, TailPart{Table: p.table, Hour: p.hour, Rows: p.rows})
			data = append(data, p.data)
		}
	}
	for _, o := range pending {
		k, err := ParseKey(o.key)
		if err != nil {
			return TailManifest{}, nil, fmt.Errorf("tail: %w", err)
		}
		hour := k.Date
		if h := k.Hour(); h >= 0 {
			hour = hour.Add(time.Duration(h) * time.Hour)
		}
		m.Parts = append(m.Parts, TailPart{Table: o.table, Hour: hour, Rows: o.rows, Pending: o.key})
		data = append(data, o.data)
	}
	return m, data, nil
}
