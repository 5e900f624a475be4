// Package compact merges the lake's small objects into few large ones and
// enforces retention. It runs as a scheduled function; any number may run at
// once and any may crash at any step.
//
// The commit protocol (see lake.Visible): a merged object records its inputs
// in its footer and is written create-only; writing it is the commit, after
// which readers skip the inputs. Inputs are deleted only after a grace
// period, so a reader that listed the partition before the commit can still
// fetch them. A crash before the write leaves the inputs; a crash after
// leaves hidden inputs that the next run deletes. A lease per cluster keeps
// two compactors from doing the same work; should leases fail, the
// smaller-ULID rule still gives readers every row exactly once.
package compact

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config configures a Compactor.
type Config struct {
	Bucket  store.Bucket
	WorkDir string // scratch space for merges (default $TMPDIR)
	// Settle: an hour is compacted once it ended this long ago (default
	// 10 min), leaving late flushes time to land.
	Settle time.Duration
	// DailyAfter: days that ended this long ago are merged into one object
	// (default 48 h).
	DailyAfter time.Duration
	// Grace: inputs are deleted this long after the object replacing them
	// was written (default 5 min; must exceed the longest query plus the
	// query engine's listing cache; a reader whose listing names a deleted
	// input lists again).
	Grace time.Duration
	// LargeObject: objects at least this big are left as they are
	// (default 8 MiB).
	LargeObject int64
	// Lookback: days examined on every run, today included (default 4:
	// enough for the day that just turned 48 h old to be merged whole;
	// older days are final).
	Lookback int
	// Retention overrides a table's default retention, in days (1–365).
	Retention map[string]int
	// SmallMerge, SmallMergeRows: merges whose inputs total at most this
	// many bytes and rows are done in memory in Go; larger ones by DuckDB,
	// which sorts faster and out of core (defaults 16 MiB, 200,000 rows).
	SmallMerge     int64
	SmallMergeRows int64
	// MemoryLimit bounds DuckDB during merges (default "1GB").
	MemoryLimit string
	Logger      *slog.Logger
	Now         func() time.Time
}

// Compactor compacts and retains.
type Compactor struct {
	cfg   Config
	db    *sql.DB
	owner string
}

// Report summarises one run.
type Report struct {
	Partitions     int
	ObjectsMerged  int      // inputs merged
	ObjectsWritten int      // merged objects written
	ObjectsDeleted int      // inputs and losers deleted after grace
	ObjectsPending int      // hidden objects still within grace (deleted by a later run)
	ObjectsExpired int      // deleted by retention
	BytesIn        int64    // size of merged inputs
	BytesOut       int64    // size of merged outputs
	Corrupt        []string // objects that could not be read (left in place)
	Errors         []string
}

func (r *Report) add(o Report) {
	r.Partitions += o.Partitions
	r.ObjectsMerged += o.ObjectsMerged
	r.ObjectsWritten += o.ObjectsWritten
	r.ObjectsDeleted += o.ObjectsDeleted
	r.ObjectsPending += o.ObjectsPending
	r.ObjectsExpired += o.ObjectsExpired
	r.BytesIn += o.BytesIn
	r.BytesOut += o.BytesOut
	r.Corrupt = append(r.Corrupt, o.Corrupt...)
	r.Errors = append(r.Errors, o.Errors...)
}

// New returns a compactor.
func New(cfg Config) (*Compactor, error) {
	if cfg.Bucket == nil {
		return nil, errors.New("compact: no bucket")
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir()
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 10 * time.Minute
	}
	if cfg.DailyAfter <= 0 {
		cfg.DailyAfter = 48 * time.Hour
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Minute
	}
	if cfg.LargeObject <= 0 {
		cfg.LargeObject = 8 << 20
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = 4
	}
	if cfg.SmallMerge == 0 {
		cfg.SmallMerge = 16 << 20
	}
	if cfg.SmallMergeRows == 0 {
		cfg.SmallMergeRows = 200_000
	}
	if cfg.MemoryLimit == "" {
		cfg.MemoryLimit = "1GB"
	}
	for table, days := range cfg.Retention {
		if _, ok := lake.Lookup(table); !ok {
			return nil, fmt.Errorf("compact: retention for unknown table %q", table)
		}
		if days < 1 || days > 365 {
			return nil, fmt.Errorf("compact: retention of %s: %d days, want 1–365", table, days)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	work, err := os.MkdirTemp(cfg.WorkDir, "atlhyper-compact-")
	if err != nil {
		return nil, fmt.Errorf("compact: %w", err)
	}
	cfg.WorkDir = work
	conn, err := duckdb.NewConnector("?autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return nil, fmt.Errorf("compact: duckdb: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		fmt.Sprintf("SET memory_limit = '%s'", strings.ReplaceAll(cfg.MemoryLimit, "'", "")),
		fmt.Sprintf("SET temp_directory = '%s'", filepath.Join(work, "duckdb")),
		"SET preserve_insertion_order = true",
	} {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, fmt.Errorf("compact: %s: %w", s, err)
		}
	}
	var id [6]byte
	rand.Read(id[:])
	host, _ := os.Hostname()
	return &Compactor{cfg: cfg, db: db, owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(id[:]))}, nil
}

// Close releases DuckDB and the work directory.
func (c *Compactor) Close() error {
	err := c.db.Close()
	os.RemoveAll(c.cfg.WorkDir)
	return err
}

// Run compacts recent partitions of every table and applies retention, for
// each cluster (all registered clusters when none are given).
func (c *Compactor) Run(ctx context.Context, clusters ...string) (Report, error) {
	var rep Report
	if len(clusters) == 0 {
		var err error
		if clusters, err = lake.Clusters(ctx, c.cfg.Bucket); err != nil {
			return rep, fmt.Errorf("compact: clusters: %w", err)
		}
		clusters = append(clusters, lake.GlobalCluster)
	}
	for _, cluster := range clusters {
		r, err := c.RunCluster(ctx, cluster)
		rep.add(r)
		if err != nil {
			if ctx.Err() != nil {
				return rep, err
			}
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", cluster, err))
		}
	}
	return rep, nil
}

// RunCluster compacts and retains one cluster's partitions under its lease.
//
// A small cursor object per cluster (_sys/compaction/<cluster>.json)
// remembers which days are final and up to which hour merging is done, so
// a run that has no hour to close lists nothing, and one that has lists
// each table once from the first day with work. Once a day, retention runs
// and every retained day is examined again, so that objects arriving late
// in a final day are merged: still one listing of each table's cluster
// prefix, however many days are retained.
func (c *Compactor) RunCluster(ctx context.Context, cluster string) (Report, error) {
	var rep Report
	// Most runs find nothing to do (no hour closed since the last): the
	// cursor alone says so, read without the lease (a stale read costs
	// only a run that finds nothing after all, or one skipped until the
	// next).
	cur, err := loadCursor(ctx, c.cfg.Bucket, cluster)
	if err != nil {
		return rep, err
	}
	if !c.due(cur) {
		return rep, nil
	}
	held, err := c.acquireLease(ctx, cluster)
	if err != nil {
		return rep, err
	}
	defer held.Release(context.WithoutCancel(ctx))
	if cur, err = loadCursor(ctx, c.cfg.Bucket, cluster); err != nil {
		return rep, err
	}
	now := c.cfg.Now()
	today := lake.Day(now)
	closed := c.closed(now)
	retain := cur.Retained != today.Format(time.DateOnly)
	for _, t := range lake.All() {
		cutoff := c.cutoff(t, now)
		first := c.first(cur, t, retain, now)
		work := func(day time.Time) bool { return c.work(cur, t, day, now) }
		listFrom, any := first, retain
		for day := first; !day.After(today) && !any; day = day.AddDate(0, 0, 1) {
			any = work(day)
		}
		var byDay map[time.Time][]lake.Stored
		if any {
			if retain {
				listFrom = time.Time{} // retention needs the expired days too
			}
			objs, err := lake.ListTable(ctx, c.cfg.Bucket, t.Name(), cluster, listFrom)
			if err != nil {
				if ctx.Err() != nil {
					return rep, err
				}
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s: %v", t.Name(), cluster, err))
				continue
			}
			byDay = map[time.Time][]lake.Stored{}
			for _, o := range objs {
				byDay[o.Date] = append(byDay[o.Date], o)
			}
		}
		if retain { // first, so that nothing about to expire is merged
			n, err := c.expire(ctx, byDay, cutoff)
			rep.ObjectsExpired += n
			if err != nil {
				if ctx.Err() != nil {
					return rep, err
				}
				rep.Errors = append(rep.Errors, fmt.Sprintf("retention %s %s: %v", t.Name(), cluster, err))
			}
		}
		ok, settled := true, true // settled: every day so far is final
		for day := first; !day.After(today); day = day.AddDate(0, 0, 1) {
			daily := c.dailyDue(day, now)
			if !work(day) {
				settled = false
				continue
			}
			if err := renewLease(ctx, held); err != nil {
				return rep, err
			}
			r, err := c.compactObjects(ctx, t, cluster, day, byDay[day])
			rep.add(r)
			if err != nil {
				if ctx.Err() != nil {
					return rep, err
				}
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s: %v", t.Name(), cluster, err))
				ok = false
				break
			}
			// A day is final once merged whole with nothing left to
			// collect; the cursor moves only over a run of final days.
			settled = settled && daily && r.ObjectsMerged == 0 && r.ObjectsPending == 0
			if settled {
				cur.Final[t.Name()] = day.Format(time.DateOnly)
			} else if final, ok := cur.final(t.Name()); ok && !final.Before(day) {
				// Late objects in a final day: revisit it until its
				// garbage is collected.
				cur.Final[t.Name()] = day.AddDate(0, 0, -1).Format(time.DateOnly)
			}
		}
		if ok {
			cur.Hourly[t.Name()] = closed
		}
	}
	if retain && len(rep.Errors) == 0 {
		cur.Retained = today.Format(time.DateOnly)
	}
	return rep, cur.save(ctx, c.cfg.Bucket, cluster)
}

// closed is the end of the last hour that is closed at now: hours ending
// by then are merged.
func (c *Compactor) closed(now time.Time) time.Time {
	return now.Add(-c.cfg.Settle).Truncate(time.Hour)
}

// first is the first day of t a run examines: every retained day once a
// day (retain), else the days after the last final one within Lookback.
func (c *Compactor) first(cur *cursor, t lake.AnyTable, retain bool, now time.Time) time.Time {
	today := lake.Day(now)
	first := today.AddDate(0, 0, 1-c.cfg.Lookback)
	if final, ok := cur.final(t.Name()); ok && !final.Before(first) {
		first = final.AddDate(0, 0, 1)
	}
	if retain {
		// Once a day, every retained day: objects can arrive late in a
		// final day (a spool emptied after a long outage).
		first = time.Time{}
	}
	if cutoff := c.cutoff(t, now); first.Before(cutoff) {
		first = cutoff
	}
	return first
}

// work reports whether a day of t has new work: an hourly day only if an
// hour closed since the last run; a day ready for its daily merge always.
func (c *Compactor) work(cur *cursor, t lake.AnyTable, day, now time.Time) bool {
	return c.dailyDue(day, now) || c.closed(now).After(maxTime(day, cur.Hourly[t.Name()]))
}

// due reports whether a run has anything to do for the cursor's cluster.
func (c *Compactor) due(cur *cursor) bool {
	now := c.cfg.Now()
	today := lake.Day(now)
	if cur.Retained != today.Format(time.DateOnly) {
		return true
	}
	for _, t := range lake.All() {
		for day := c.first(cur, t, false, now); !day.After(today); day = day.AddDate(0, 0, 1) {
			if c.work(cur, t, day, now) {
				return true
			}
		}
	}
	return false
}

// dailyDue reports whether day ended DailyAfter ago and is merged whole.
func (c *Compactor) dailyDue(day, now time.Time) bool {
	return !day.AddDate(0, 0, 1).Add(c.cfg.DailyAfter).After(now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// cursor is a cluster's compaction progress. Losing it costs only some
// extra listing on the next run.
type cursor struct {
	// Final maps a table to the last day merged whole; later runs skip it.
	Final map[string]string `json:"final"`
	// Hourly maps a table to the end of the last closed hour merged.
	Hourly   map[string]time.Time `json:"hourly"`
	Retained string               `json:"retained"` // day retention last ran
}

func cursorKey(cluster string) string { return lake.SysPrefix + "compaction/" + cluster + ".json" }

func loadCursor(ctx context.Context, b store.Bucket, cluster string) (*cursor, error) {
	cur := &cursor{Final: map[string]string{}, Hourly: map[string]time.Time{}}
	data, _, err := b.Get(ctx, cursorKey(cluster), "")
	switch {
	case store.IsNotFound(err):
		return cur, nil
	case err != nil:
		return nil, fmt.Errorf("compaction cursor: %w", err)
	}
	if json.Unmarshal(data, cur) != nil { // unreadable: start over
		cur = &cursor{}
	}
	if cur.Final == nil {
		cur.Final = map[string]string{}
	}
	if cur.Hourly == nil {
		cur.Hourly = map[string]time.Time{}
	}
	return cur, nil
}

func (cur *cursor) final(table string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, cur.Final[table])
	return d, err == nil
}

// save writes the cursor; the cluster's lease makes this run its only writer.
func (cur *cursor) save(ctx context.Context, b store.Bucket, cluster string) error {
	data, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	if _, err := b.Put(context.WithoutCancel(ctx), cursorKey(cluster), data, store.Condition{}); err != nil {
		return fmt.Errorf("compaction cursor: %w", err)
	}
	return nil
}

// CompactPartition merges one partition's small visible objects (per hour,
// or per day once the day is old enough) and deletes what merged objects
// replaced once the grace period has passed.
func (c *Compactor) CompactPartition(ctx context.Context, t lake.AnyTable, cluster string, day time.Time) (Report, error) {
	objs, err := lake.ListPartition(ctx, c.cfg.Bucket, t.Name(), cluster, day)
	if err != nil {
		return Report{Partitions: 1}, err
	}
	return c.compactObjects(ctx, t, cluster, day, objs)
}

// compactObjects is CompactPartition on a partition already listed.
func (c *Compactor) compactObjects(ctx context.Context, t lake.AnyTable, cluster string, day time.Time, objs []lake.Stored) (Report, error) {
	rep := Report{Partitions: 1}
	if len(objs) < 2 {
		// Nothing to merge, and a lone object hides nothing and is
		// hidden by nothing: no footer need be read.
		return rep, nil
	}
	// A merged object can hide only objects of its own hour (a daily one:
	// of its day): its footer is read only if one of those is present.
	perSpan := map[string]int{}
	for _, o := range objs {
		perSpan[o.Span]++
	}
	inputs := map[string][]string{}
	visible, err := lake.Visible(objs, func(o lake.Stored) ([]string, error) {
		if o.Span != lake.DaySpan && perSpan[o.Span] < 2 {
			return nil, nil
		}
		meta, err := c.readMeta(ctx, o)
		if err != nil {
			return nil, err
		}
		inputs[o.Info.Key] = meta.Inputs
		return meta.Inputs, nil
	})
	if err != nil {
		return rep, err
	}
	now := c.cfg.Now()
	rep.ObjectsDeleted, rep.ObjectsPending, err = c.collect(ctx, objs, visible, inputs, now)
	if err != nil {
		return rep, err
	}

	// Group what is worth merging.
	var groups [][]lake.Stored
	var spans []string
	if c.dailyDue(day, now) {
		groups, spans = append(groups, small(visible, c.cfg.LargeObject)), append(spans, lake.DaySpan)
	} else {
		byHour := map[string][]lake.Stored{}
		for _, o := range small(visible, c.cfg.LargeObject) {
			if h := o.Hour(); h >= 0 && !day.Add(time.Duration(h+1)*time.Hour).Add(c.cfg.Settle).After(now) {
				byHour[o.Span] = append(byHour[o.Span], o)
			}
		}
		for h := 0; h < 24; h++ {
			span := lake.HourSpan(h)
			groups, spans = append(groups, byHour[span]), append(spans, span)
		}
	}
	for i, g := range groups {
		if len(g) < 2 {
			continue
		}
		r, err := c.merge(ctx, t, cluster, day, spans[i], g)
		rep.add(r)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func small(objs []lake.Stored, large int64) []lake.Stored {
	var out []lake.Stored
	for _, o := range objs {
		if o.Info.Size < large {
			out = append(out, o)
		}
	}
	return out
}

// collect deletes objects hidden by a merged object written more than
// Grace ago, and merged objects that lost a race, once as old.
// It returns how many it deleted and how many wait for their grace to end.
func (c *Compactor) collect(ctx context.Context, all, visible []lake.Stored, inputs map[string][]string, now time.Time) (deleted, pending int, err error) {
	isVisible := map[string]bool{}
	for _, o := range visible {
		isVisible[o.Name()] = true
	}
	byName := map[string]lake.Stored{}
	for _, o := range all {
		byName[o.Name()] = o
	}
	// When was each hidden object hidden? By the oldest visible-or-committed
	// merged object naming it; a loser (hidden compacted object that some
	// committed object does not name) is aged by its own ULID.
	hiddenAt := map[string]time.Time{}
	for _, o := range all {
		in, ok := inputs[o.Info.Key]
		if !ok || !o.Compacted() {
			continue
		}
		at := ulidTime(o)
		for _, name := range in {
			if prev, ok := hiddenAt[name]; !ok || at.Before(prev) {
				hiddenAt[name] = at
			}
		}
	}
	for name, o := range byName {
		if isVisible[name] {
			continue
		}
		at, ok := hiddenAt[name]
		if !ok {
			at = ulidTime(o) // a losing merged object
		}
		if now.Sub(at) < c.cfg.Grace {
			pending++
			continue
		}
		if err := c.cfg.Bucket.Delete(ctx, o.Info.Key); err != nil {
			return deleted, pending, fmt.Errorf("delete %s: %w", o.Info.Key, err)
		}
		deleted++
	}
	return deleted, pending, nil
}

func ulidTime(o lake.Stored) time.Time { return time.UnixMilli(int64(o.ID.Time())) }

// readMeta reads an object's footer with ranged gets.
func (c *Compactor) readMeta(ctx context.Context, o lake.Stored) (lake.ObjectMeta, error) {
	ra := store.ReaderAt(ctx, c.cfg.Bucket, o.Info.Key, o.Info.Size)
	meta, err := lake.ReadMeta(io.NewSectionReader(ra, 0, o.Info.Size))
	if err != nil {
		return meta, fmt.Errorf("object %s: %w", o.Info.Key, err)
	}
	return meta, nil
}

// merge writes one object holding the rows of group, sorted by the
// table's key, recording the group as its inputs.
func (c *Compactor) merge(ctx context.Context, t lake.AnyTable, cluster string, day time.Time, span string, group []lake.Stored) (Report, error) {
	var rep Report
	dir, err := os.MkdirTemp(c.cfg.WorkDir, "merge-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	var (
		names  []string
		blobs  [][]byte
		inputs []string // temp files, for DuckDB
		meta   = lake.ObjectMeta{Table: t.Name(), SchemaVersion: t.Version()}
	)
	for _, o := range group {
		data, _, err := c.cfg.Bucket.Get(ctx, o.Info.Key, "")
		if err != nil {
			if store.IsNotFound(err) {
				continue // deleted meanwhile (retention, another compactor)
			}
			return rep, err
		}
		im, err := lake.ReadMeta(bytes.NewReader(data))
		if err != nil {
			// Never merge (or lose) a corrupt object: leave it for a
			// human, report it; readers will name it too.
			rep.Corrupt = append(rep.Corrupt, o.Info.Key)
			c.cfg.Logger.Error("compaction: corrupt object left in place", "key", o.Info.Key, "error", err)
			continue
		}
		meta.Rows += im.Rows
		if meta.MinTime.IsZero() || (!im.MinTime.IsZero() && im.MinTime.Before(meta.MinTime)) {
			meta.MinTime = im.MinTime
		}
		if im.MaxTime.After(meta.MaxTime) {
			meta.MaxTime = im.MaxTime
		}
		names = append(names, o.Name())
		rep.BytesIn += o.Info.Size
		if rep.BytesIn <= c.cfg.SmallMerge && meta.Rows <= c.cfg.SmallMergeRows {
			blobs = append(blobs, data)
			continue
		}
		// Too big to merge in memory: spill everything to files for DuckDB.
		for _, b := range append(blobs, data) {
			p, err := writeTemp(dir, len(inputs), b)
			if err != nil {
				return rep, err
			}
			inputs = append(inputs, p)
		}
		blobs = nil
	}
	if len(names) < 2 {
		return rep, nil
	}
	meta.Inputs = names
	var data []byte
	if len(inputs) == 0 {
		// Small: decode, sort and encode in Go, without DuckDB's
		// per-statement cost (most hourly merges are a few KB).
		if data, _, err = t.Merge(blobs, names); err != nil {
			return rep, fmt.Errorf("merge %s %s %s: %w", t.Name(), cluster, span, err)
		}
	} else {
		schema, err := t.Empty()
		if err != nil {
			return rep, err
		}
		sp, err := writeTemp(dir, len(inputs), schema)
		if err != nil {
			return rep, err
		}
		out := filepath.Join(dir, "out.parquet")
		if err := c.copySorted(ctx, t, append([]string{sp}, inputs...), out, meta); err != nil {
			return rep, fmt.Errorf("merge %s %s %s: %w", t.Name(), cluster, span, err)
		}
		if data, err = os.ReadFile(out); err != nil {
			return rep, err
		}
	}
	key := lake.ObjectKey{Table: t.Name(), Cluster: cluster, Date: day, Span: span, Writer: lake.CompactWriter, ID: lake.NewULID(c.cfg.Now())}.Key()
	if _, err := c.cfg.Bucket.Put(ctx, key, data, store.IfAbsent); err != nil {
		return rep, fmt.Errorf("put %s: %w", key, err)
	}
	c.cfg.Logger.Info("compacted", "table", t.Name(), "cluster", cluster, "span", span, "inputs", len(names), "rows", meta.Rows, "bytes_in", rep.BytesIn, "bytes_out", len(data), "key", key)
	rep.ObjectsMerged += len(names)
	rep.ObjectsWritten++
	rep.BytesOut += int64(len(data))
	return rep, nil
}

// copySorted has DuckDB read the inputs (unioned with the current schema,
// so older files gain new columns as NULL), sort by the table key and write
// one Parquet file with the lake's footer metadata. DuckDB sorts out of
// core, so a day of a large cluster fits in bounded memory.
func (c *Compactor) copySorted(ctx context.Context, t lake.AnyTable, files []string, out string, meta lake.ObjectMeta) error {
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = sqlString(f)
	}
	cols := make([]string, 0, t.Schema().NumFields())
	for _, f := range t.Schema().Fields() {
		cols = append(cols, `"`+f.Name+`"`)
	}
	kv, err := kvMetadata(meta)
	if err != nil {
		return err
	}
	q := fmt.Sprintf(`COPY (SELECT %s FROM read_parquet([%s], union_by_name = true, hive_partitioning = false) ORDER BY %s)
TO %s (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 1048576, KV_METADATA %s)`,
		strings.Join(cols, ", "), strings.Join(list, ","), strings.Join(t.SortKey(), ", "), sqlString(out), kv)
	_, err = c.db.ExecContext(ctx, q)
	return err
}

func writeTemp(dir string, i int, data []byte) (string, error) {
	p := filepath.Join(dir, fmt.Sprintf("in-%05d.parquet", i))
	return p, os.WriteFile(p, data, 0o644)
}

// kvMetadata renders the footer metadata as a DuckDB struct literal.
func kvMetadata(m lake.ObjectMeta) (string, error) {
	in, err := json.Marshal(m.Inputs)
	if err != nil {
		return "", err
	}
	pairs := []struct{ k, v string }{
		{"atlhyper.table", m.Table}, {"atlhyper.schema_version", fmt.Sprint(m.SchemaVersion)},
		{"atlhyper.rows", fmt.Sprint(m.Rows)},
		{"atlhyper.min_ts", m.MinTime.Format(time.RFC3339Nano)}, {"atlhyper.max_ts", m.MaxTime.Format(time.RFC3339Nano)},
		{"atlhyper.inputs", string(in)},
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = fmt.Sprintf(`"%s": %s`, p.k, sqlString(p.v))
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// cutoff is the first day a table keeps.
func (c *Compactor) cutoff(t lake.AnyTable, now time.Time) time.Time {
	days := t.DefaultRetentionDays()
	if d, ok := c.cfg.Retention[t.Name()]; ok {
		days = d
	}
	return lake.Day(now).AddDate(0, 0, -days)
}

// expire deletes the objects of days older than cutoff (retention) from a
// table's listing, and drops those days from it.
func (c *Compactor) expire(ctx context.Context, byDay map[time.Time][]lake.Stored, cutoff time.Time) (int, error) {
	deleted := 0
	for day, objs := range byDay {
		if !day.Before(cutoff) {
			continue
		}
		for _, o := range objs {
			if err := c.cfg.Bucket.Delete(ctx, o.Info.Key); err != nil {
				return deleted, err
			}
			deleted++
		}
		delete(byDay, day)
	}
	return deleted, nil
}
