package lake

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
)

// The tail: while someone watches a cluster (query/control), its agent
// publishes the rows it has not yet flushed as one object,
// ClusterKey(id, TailKey), rewritten every few seconds while they change.
// Readers add it to what the lake holds, so a watched cluster's lists are
// seconds behind the cluster instead of a flush interval (docs/lake.md,
// *Freshness*). An unwatched cluster has no tail and costs nothing extra.
//
// The object is a zip archive (stored, not deflated: the parts are ZSTD
// Parquet already) of manifest.json and one Parquet part per table and hour,
// each in its table's current schema, exactly as a flush would write it.
const (
	TailKey           = "tail.zip"
	TailSchemaVersion = 1
	tailManifest      = "manifest.json"
	// Bounds a reader enforces, so a corrupt or hostile tail cannot make
	// it allocate without limit.
	maxTailParts         = 1024
	maxTailManifestBytes = 4 << 20
	maxTailPartBytes     = 256 << 20
)

// TailManifest describes a tail object.
type TailManifest struct {
	SchemaVersion int    `json:"schema_version"`
	Cluster       string `json:"cluster"`
	Writer        string `json:"writer"`   // the writer name in object keys ("agent")
	Instance      string `json:"instance"` // the agent process that wrote it
	// AsOf is the writer's clock when it took the snapshot. Every row the
	// writer held then is in a part; every object it wrote before is in
	// the store, or listed in Pending and included as a part.
	AsOf  time.Time  `json:"as_of"`
	Parts []TailPart `json:"parts"`
	// Recent lists the keys of objects the writer stored shortly before
	// AsOf, so a reader whose partition listing is older than AsOf knows
	// to list again rather than miss rows that left the tail.
	Recent []string `json:"recent,omitempty"`
	// Current is the cluster's current state computed at AsOf, so
	// overviews and lists agree on one moment.
	Current *CurrentState `json:"current,omitempty"`
}

// TailPart is one Parquet part of a tail.
type TailPart struct {
	Table string    `json:"table"`
	Hour  time.Time `json:"hour"` // UTC hour of its rows
	Rows  int       `json:"rows"`
	// Pending is the key of the object the part is, when it is an object
	// the writer encoded but the store has not acknowledged yet: a reader
	// that already lists that key must not read the part too.
	Pending string `json:"pending,omitempty"`
	Entry   string `json:"entry"` // its name in the archive
}

// EncodeTail writes a tail archive; data[i] is the Parquet of m.Parts[i].
func EncodeTail(m TailManifest, data [][]byte) ([]byte, error) {
	if len(data) != len(m.Parts) {
		return nil, fmt.Errorf("tail: %d parts, %d data", len(m.Parts), len(data))
	}
	m.SchemaVersion = TailSchemaVersion
	for i := range m.Parts {
		m.Parts[i].Entry = fmt.Sprintf("parts/%04d.parquet", i)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := writeStored(zw, tailManifest, mj); err != nil {
		return nil, err
	}
	for i, p := range m.Parts {
		if err := writeStored(zw, p.Entry, data[i]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeStored(zw *zip.Writer, name string, data []byte) error {
	// A zero Modified keeps the archive a function of its content.
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// ErrBadTail marks a tail object that cannot be used.
var ErrBadTail = errors.New("bad tail object")

// DecodeTail reads a tail archive of cluster and checks it: the manifest,
// and that every part names a known table, an hour, and an entry present in
// the archive. Parts are returned in manifest order. Parquet contents are
// not decoded here (the query engine validates parts like any object).
func DecodeTail(cluster string, data []byte) (TailManifest, [][]byte, error) {
	bad := func(format string, args ...any) (TailManifest, [][]byte, error) {
		return TailManifest{}, nil, fmt.Errorf("%w: %s", ErrBadTail, fmt.Sprintf(format, args...))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return bad("%v", err)
	}
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		entries[f.Name] = f
	}
	mf := entries[tailManifest]
	if mf == nil {
		return bad("no manifest")
	}
	mj, err := readEntry(mf, maxTailManifestBytes)
	if err != nil {
		return bad("manifest: %v", err)
	}
	var m TailManifest
	if err := json.Unmarshal(mj, &m); err != nil {
		return bad("manifest: %v", err)
	}
	switch {
	case m.SchemaVersion != TailSchemaVersion:
		return bad("schema_version %d", m.SchemaVersion)
	case m.Cluster != cluster:
		return bad("written for cluster %q", m.Cluster)
	case ValidWriter(m.Writer) != nil:
		return bad("writer %q", m.Writer)
	case m.AsOf.IsZero():
		return bad("no as_of")
	case len(m.Parts) > maxTailParts:
		return bad("%d parts", len(m.Parts))
	}
	parts := make([][]byte, len(m.Parts))
	seen := map[string]bool{}
	for i, p := range m.Parts {
		if _, ok := Lookup(p.Table); !ok {
			return bad("part %d: unknown table %q", i, p.Table)
		}
		if p.Hour.IsZero() || !p.Hour.Equal(p.Hour.UTC().Truncate(time.Hour)) {
			return bad("part %d: hour %v", i, p.Hour)
		}
		if p.Pending != "" {
			k, err := ParseKey(p.Pending)
			if err != nil || k.Table != p.Table || k.Cluster != cluster {
				return bad("part %d: pending key %q", i, p.Pending)
			}
		}
		f := entries[p.Entry]
		if f == nil || seen[p.Entry] || path.Clean(p.Entry) != p.Entry {
			return bad("part %d: entry %q", i, p.Entry)
		}
		seen[p.Entry] = true
		if parts[i], err = readEntry(f, maxTailPartBytes); err != nil {
			return bad("part %d: %v", i, err)
		}
	}
	for _, k := range m.Recent {
		if pk, err := ParseKey(k); err != nil || pk.Cluster != cluster {
			return bad("recent key %q", k)
		}
	}
	m.Parts = slices.Clip(m.Parts)
	return m, parts, nil
}

func readEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: %d bytes", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", f.Name, limit)
	}
	return data, nil
}

// NewerThan reports whether key is an object of writer whose ULID was made
// at or after t: such an object may hold rows a tail taken at t still had
// in memory (ULIDs have millisecond resolution, so "at" counts as after).
func NewerThan(k ObjectKey, writer string, t time.Time) bool {
	return k.Writer == writer && ulid.Time(k.ID.Time()).Compare(t.Truncate(time.Millisecond)) >= 0
}
