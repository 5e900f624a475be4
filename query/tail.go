package query

import (
	"context"
	"fmt"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Tails: a watched cluster's agent publishes its unflushed rows as one
// object (lake.TailKey, docs/lake.md *Freshness*). The engine adds a tail's
// parts to every scope that reaches into the last TailReach, so lists,
// anomalies and SQL see a watched cluster seconds behind instead of a flush
// interval — and never a row twice:
//
//   - a part that is an object the agent had not yet stored (Pending) is
//     skipped once the partition lists that key;
//   - if the partition holds an object of the tail's writer made at or
//     after the tail's moment, that object may hold the tail's rows: the
//     tail's parts of that table and day are skipped (the lake has them, or
//     will once the listing catches up);
//   - objects the agent stored shortly before the tail (Recent) that the
//     cached partition listing does not show yet make the engine list that
//     partition again, once per tail.
//
// A tail that cannot be read is logged and ignored: it only ever adds
// freshness, never correctness.
type tail struct {
	etag    string
	checked time.Time
	m       lake.TailManifest
	parts   [][]byte
	pending map[string]bool
	// relisted marks partitions listed afresh for this tail's Recent keys.
	relisted map[string]bool
}

// source is one file a view reads: a stored lake object, or a tail part
// (data set) that the cache holds under a key of its own.
type source struct {
	lake.Stored
	data []byte
}

// tailKeyOf names a tail part in the cache. It sits outside every table's
// prefix so it never collides with a lake key, and keeps the Hive
// directories (cluster=…/date=…) that views read columns from.
func tailKeyOf(p lake.TailPart, cluster string, i int) string {
	return fmt.Sprintf("%s%s/cluster=%s/date=%s/%02d-%d.parquet", tailPrefix, p.Table, cluster, p.Hour.Format(time.DateOnly), p.Hour.Hour(), i)
}

// tailPrefix roots tail parts in the cache; <tailPrefix><table>/ holds one
// table's (the sandbox instance may open those of the tables it may read).
const tailPrefix = "_tail/"

// Tail returns the manifest of a cluster's current tail (nil when there is
// none or tails are off). The manifest's Current is the cluster's state at
// its AsOf.
func (e *Engine) Tail(ctx context.Context, cluster string) (*lake.TailManifest, error) {
	t, err := e.tail(ctx, cluster)
	if err != nil || t == nil {
		return nil, err
	}
	return &t.m, nil
}

func (e *Engine) tail(ctx context.Context, cluster string) (*tail, error) {
	if !e.cfg.Tails {
		return nil, nil
	}
	e.mu.Lock()
	t, ok := e.tails[cluster]
	e.mu.Unlock()
	now := e.cfg.Now()
	if ok && now.Sub(t.checked) < e.cfg.TailTTL {
		return e.fresh(t.orNil()), nil
	}
	res, err, _ := e.tailGroup.Do(cluster, func() (any, error) {
		key := lake.ClusterKey(cluster, lake.TailKey)
		etag := ""
		if t != nil {
			etag = t.etag
		}
		data, info, err := e.cfg.Bucket.Get(ctx, key, etag)
		next := &tail{checked: e.cfg.Now()}
		switch {
		case store.IsNotModified(err):
			next = &tail{etag: t.etag, checked: next.checked, m: t.m, parts: t.parts, pending: t.pending, relisted: t.relisted}
		case store.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", key, err)
		default:
			m, parts, err := lake.DecodeTail(cluster, data)
			if err != nil {
				e.cfg.Logger.Warn("query: ignoring unreadable tail", "cluster", cluster, "error", err)
				next.etag = info.ETag // not re-read until it changes
				break
			}
			next.etag, next.m, next.parts = info.ETag, m, parts
			next.pending, next.relisted = map[string]bool{}, map[string]bool{}
			for _, p := range m.Parts {
				if p.Pending != "" {
					next.pending[p.Pending] = true
				}
			}
		}
		e.mu.Lock()
		old := e.tails[cluster]
		e.tails[cluster] = next
		e.mu.Unlock()
		if old != nil && old.etag != next.etag {
			e.dropTail(cluster, old)
		}
		return next, nil
	})
	if err != nil {
		// A tail only adds freshness: without it the lake still answers.
		e.cfg.Logger.Warn("query: cannot read tail", "cluster", cluster, "error", err)
		return nil, nil
	}
	return e.fresh(res.(*tail).orNil()), nil
}

func (t *tail) orNil() *tail {
	if t == nil || t.m.AsOf.IsZero() {
		return nil
	}
	return t
}

// fresh hides a tail its agent stopped rewriting (it rewrites a watched
// cluster's tail every 30 s): an old tail adds nothing the lake will not
// show soon, and compaction may by then have rewritten the objects that
// took its rows.
func (e *Engine) fresh(t *tail) *tail {
	if t == nil || e.cfg.Now().Sub(t.m.AsOf) > e.cfg.TailMaxAge {
		return nil
	}
	return t
}

// dropTail removes a superseded tail's parts from the cache (those a
// running query still reads stay until evicted).
func (e *Engine) dropTail(cluster string, t *tail) {
	for i, p := range t.m.Parts {
		e.cache.Drop(tailKeyOf(p, cluster, i), t.etag)
	}
}

// partition returns what a reader reads of one table, cluster and day for
// [from, to): the visible lake objects plus, when the scope reaches the
// recent past, the cluster's tail parts that the lake does not hold yet.
func (e *Engine) partition(ctx context.Context, table, cluster string, day, from, to time.Time, fresh bool) ([]source, error) {
	var t *tail
	if e.cfg.Tails && !to.Before(e.cfg.Now().Add(-e.cfg.TailReach)) {
		var err error
		if t, err = e.tail(ctx, cluster); err != nil {
			return nil, err
		}
	}
	// With a tail, every object the agent stored lately is named in it, and
	// a listing that misses one is listed again below. The audit log is
	// the API's own writing, not the agent's.
	tailed := t != nil && table != lake.AuditLog.Name()
	objs, err := e.visible(ctx, table, cluster, day, from, to, fresh, tailed)
	if err != nil {
		return nil, err
	}
	out := make([]source, len(objs))
	for i, o := range objs {
		out[i] = source{Stored: o}
	}
	if t == nil {
		return out, nil
	}
	listed, err := e.list(ctx, table, cluster, day, false, tailed)
	if err != nil {
		return nil, err
	}
	prefix := lake.PartitionPrefix(table, cluster, day)
	if missingRecent(t, prefix, listed) {
		e.mu.Lock()
		again := !t.relisted[prefix]
		t.relisted[prefix] = true
		e.mu.Unlock()
		if again {
			if listed, err = e.list(ctx, table, cluster, day, true, tailed); err != nil {
				return nil, err
			}
			if objs, err = e.visible(ctx, table, cluster, day, from, to, false, tailed); err != nil {
				return nil, err
			}
			out = out[:0]
			for _, o := range objs {
				out = append(out, source{Stored: o})
			}
		}
	}
	var idx []int
	for i, p := range t.m.Parts {
		if p.Table == table && lake.Day(p.Hour).Equal(day) && p.Hour.Before(to) && p.Hour.Add(time.Hour).After(from) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return out, nil
	}
	keys := make(map[string]bool, len(listed))
	for _, o := range listed {
		keys[o.Info.Key] = true
		newer, err := e.holdsNewer(ctx, o, t)
		if err != nil {
			return nil, err
		}
		if newer {
			return out, nil // the lake has (or is about to list) these rows
		}
	}
	for _, i := range idx {
		p := t.m.Parts[i]
		if p.Pending != "" && keys[p.Pending] {
			continue
		}
		k := lake.ObjectKey{Table: table, Cluster: cluster, Date: day, Span: lake.HourSpan(p.Hour.Hour()), Writer: t.m.Writer}
		info := store.Info{Key: tailKeyOf(p, cluster, i), ETag: t.etag, Size: int64(len(t.parts[i]))}
		out = append(out, source{Stored: lake.Stored{Info: info, ObjectKey: k}, data: t.parts[i]})
	}
	return out, nil
}

// holdsNewer reports whether o is, or (compacted) replaces, an object of
// the tail's writer made at or after the tail's moment, other than one the
// tail lists as pending.
func (e *Engine) holdsNewer(ctx context.Context, o lake.Stored, t *tail) (bool, error) {
	if !o.Compacted() {
		return lake.NewerThan(o.ObjectKey, t.m.Writer, t.m.AsOf) && !t.pending[o.Info.Key], nil
	}
	if o.Covers(t.m.AsOf.Add(-2*time.Hour), t.m.AsOf.Add(time.Hour)) {
		inputs, err := e.inputsOf(ctx, o)
		if err != nil {
			return false, err
		}
		for _, name := range inputs {
			k, err := lake.ParseKey(o.Partition() + name)
			if err == nil && lake.NewerThan(k, t.m.Writer, t.m.AsOf) && !t.pending[k.Key()] {
				return true, nil
			}
		}
	}
	return false, nil
}

func missingRecent(t *tail, prefix string, listed []lake.Stored) bool {
	for _, k := range t.m.Recent {
		if len(k) <= len(prefix) || k[:len(prefix)] != prefix {
			continue
		}
		found := false
		for _, o := range listed {
			if o.Info.Key == k {
				found = true
				break
			}
		}
		if !found {
			return true
		}
	}
	return false
}
