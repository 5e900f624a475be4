package lake

import (
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Key layout (the public contract, docs/lake.md):
//
//	<table>/cluster=<id>/date=<YYYY-MM-DD>/<span>-<writer>-<ULID>.parquet
//
// span is the hour of the rows ("00".."23") or "day" for an object holding
// a whole day (daily compaction). Keeping the hour in the name rather than
// a hive directory lets hourly and daily objects share one partition depth,
// so every reader sees the same columns (cluster, date) whatever compaction
// has done, while our engine still prunes by hour from names alone.
//
// Mutable metadata (cluster state, users, leases, queues) lives under _sys/,
// which no table glob matches.

// SysPrefix is the root of small mutable JSON objects.
const SysPrefix = "_sys/"

// GlobalCluster is the partition for records that belong to no one cluster.
const GlobalCluster = "_global"

// CompactWriter is the writer name of compaction output.
const CompactWriter = "compact"

// DaySpan is the span of an object that covers a whole day.
const DaySpan = "day"

var (
	// ErrCorrupt marks an object that is not a readable lake object.
	ErrCorrupt = errors.New("corrupt lake object")
	// ErrBadKey marks a key outside the lake layout.
	ErrBadKey = errors.New("not a lake key")

	clusterRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	writerRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
)

// ValidCluster reports whether id can name a cluster partition: a DNS label
// (a kube-system namespace UID is one), or GlobalCluster.
func ValidCluster(id string) error {
	if id == GlobalCluster || clusterRE.MatchString(id) {
		return nil
	}
	return fmt.Errorf("invalid cluster id %q: want a lowercase DNS label (a-z, 0-9, '-', at most 63)", id)
}

// ValidWriter reports whether name can name a writer in object keys.
func ValidWriter(name string) error {
	if writerRE.MatchString(name) {
		return nil
	}
	return fmt.Errorf("invalid writer name %q: want a-z, 0-9 and '-', at most 32", name)
}

// Day truncates t to its UTC day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// PartitionPrefix is the key prefix of one table, cluster and day.
func PartitionPrefix(table, cluster string, day time.Time) string {
	return fmt.Sprintf("%s/cluster=%s/date=%s/", table, cluster, day.UTC().Format(time.DateOnly))
}

// HourSpan is the span name of hour h.
func HourSpan(h int) string { return fmt.Sprintf("%02d", h) }

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// NewULID returns a ULID for object names, monotonic within the process.
func NewULID(now time.Time) ulid.ULID {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(now), entropy)
}

// ObjectKey is a parsed data object key.
type ObjectKey struct {
	Table   string
	Cluster string
	Date    time.Time
	Span    string // "00".."23" or "day"
	Writer  string
	ID      ulid.ULID
}

// Key renders the key.
func (k ObjectKey) Key() string {
	return PartitionPrefix(k.Table, k.Cluster, k.Date) + k.Name()
}

// Name is the last path element.
func (k ObjectKey) Name() string {
	return fmt.Sprintf("%s-%s-%s.parquet", k.Span, k.Writer, k.ID)
}

// Partition is the key prefix of the object's partition.
func (k ObjectKey) Partition() string { return PartitionPrefix(k.Table, k.Cluster, k.Date) }

// Hour is the span's hour, or -1 for a whole-day object.
func (k ObjectKey) Hour() int {
	h, err := strconv.Atoi(k.Span)
	if err != nil {
		return -1
	}
	return h
}

// Covers reports whether the object may hold rows in [from, to).
func (k ObjectKey) Covers(from, to time.Time) bool {
	start := k.Date
	end := start.AddDate(0, 0, 1)
	if h := k.Hour(); h >= 0 {
		start = start.Add(time.Duration(h) * time.Hour)
		end = start.Add(time.Hour)
	}
	return start.Before(to) && end.After(from)
}

// Compacted reports whether compaction wrote the object.
func (k ObjectKey) Compacted() bool { return k.Writer == CompactWriter }

// ParseKey parses a data object key.
func ParseKey(key string) (ObjectKey, error) {
	bad := func(why string) (ObjectKey, error) {
		return ObjectKey{}, fmt.Errorf("%w: %q: %s", ErrBadKey, key, why)
	}
	parts := strings.Split(key, "/")
	if len(parts) != 4 {
		return bad("want <table>/cluster=<id>/date=<day>/<name>.parquet")
	}
	var k ObjectKey
	k.Table = parts[0]
	c, ok := strings.CutPrefix(parts[1], "cluster=")
	if !ok || ValidCluster(c) != nil {
		return bad("bad cluster segment")
	}
	k.Cluster = c
	d, ok := strings.CutPrefix(parts[2], "date=")
	if !ok {
		return bad("bad date segment")
	}
	day, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return bad("bad date segment")
	}
	k.Date = day
	name, ok := strings.CutSuffix(parts[3], ".parquet")
	if !ok || len(name) < 26+4 {
		return bad("bad object name")
	}
	id, err := ulid.ParseStrict(name[len(name)-26:])
	if err != nil || name[len(name)-27] != '-' {
		return bad("bad ULID")
	}
	k.ID = id
	span, writer, ok := strings.Cut(name[:len(name)-27], "-")
	if !ok || ValidWriter(writer) != nil {
		return bad("bad writer")
	}
	if span != DaySpan {
		h, err := strconv.Atoi(span)
		if err != nil || h < 0 || h > 23 || len(span) != 2 {
			return bad("bad span")
		}
	}
	k.Span, k.Writer = span, writer
	return k, nil
}
