package rows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cespare/xxhash/v2"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/query/lake"
)

// Batch collects rows per table.
type Batch struct {
	Pods      []lake.Pod
	Nodes     []lake.Node
	Workloads []lake.Workload
	Objects   []lake.Object
	Details   []lake.Detail
	Events    []lake.Event
}

// Lookups give conversions the little they need beyond the object.
type Lookups struct {
	// CronJobLastStatus returns the status of the most recent finished Job
	// of a CronJob ("Complete", "Failed" or "").
	CronJobLastStatus func(*batchv1.CronJob) string
	// PodResources, if set, are the pod's container resources, read
	// before its spec was slimmed (see PodWith).
	PodResources []Resources
}

// ErrUnknownKind is returned for an object rows cannot convert.
var ErrUnknownKind = errors.New("unknown kind")

// State appends obj's state row (the converter of its kind's binding,
// found by m.Kind). obj is one of the watched typed objects, or a
// *metav1.PartialObjectMetadata for metadata-only kinds.
func (b *Batch) State(obj metav1.Object, m lake.Meta, lk Lookups) error {
	bd, ok := byName[m.Kind]
	if !ok || bd.Row == nil {
		return fmt.Errorf("%w: %s (%T)", ErrUnknownKind, m.Kind, obj)
	}
	return bd.Row(b, obj, m, lk)
}

// Detail appends a detail row holding data (from Encode).
func (b *Batch) Detail(m lake.Meta, data []byte) {
	b.Details = append(b.Details, lake.Detail{TS: m.TS, Op: m.Op, Kind: m.Kind, Namespace: m.Namespace, Name: m.Name,
		UID: m.UID, ResourceVersion: m.ResourceVersion, Object: string(data)})
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int {
	return len(b.Pods) + len(b.Nodes) + len(b.Workloads) + len(b.Objects) + len(b.Details) + len(b.Events)
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	b.Pods, b.Nodes, b.Workloads, b.Objects = b.Pods[:0], b.Nodes[:0], b.Workloads[:0], b.Objects[:0]
	b.Details, b.Events = b.Details[:0], b.Events[:0]
}

// AddTo buffers the batch in w.
func (b *Batch) AddTo(w *lake.Writer) {
	lake.Add(w, lake.Pods, b.Pods...)
	lake.Add(w, lake.Nodes, b.Nodes...)
	lake.Add(w, lake.Workloads, b.Workloads...)
	lake.Add(w, lake.Objects, b.Objects...)
	lake.Add(w, lake.Details, b.Details...)
	lake.Add(w, lake.Events, b.Events...)
}

// DetailChunk bounds the rows of one details object written by WriteNow,
// so the daily re-emission of every object's JSON never needs the whole
// cluster's JSON encoded in memory at once.
const DetailChunk = 1000

// WriteNow writes each table of the batch as its own object(s) now: the
// state tables as one object each (a checkpoint must never be half
// visible), details in chunks.
func (b *Batch) WriteNow(ctx context.Context, w *lake.Writer) error {
	if err := lake.WriteNow(ctx, w, lake.Pods, b.Pods); err != nil {
		return err
	}
	if err := lake.WriteNow(ctx, w, lake.Nodes, b.Nodes); err != nil {
		return err
	}
	if err := lake.WriteNow(ctx, w, lake.Workloads, b.Workloads); err != nil {
		return err
	}
	if err := lake.WriteNow(ctx, w, lake.Objects, b.Objects); err != nil {
		return err
	}
	for d := b.Details; len(d) > 0; {
		n := min(len(d), DetailChunk)
		if err := lake.WriteNow(ctx, w, lake.Details, d[:n]); err != nil {
			return err
		}
		d = d[n:]
	}
	return lake.WriteNow(ctx, w, lake.Events, b.Events)
}

// Encode returns the detail JSON of obj (with apiVersion and kind set) and
// its content hash: a hash of everything but metadata.resourceVersion, so
// two versions of an object that differ in nothing we store hash alike.
//
// The informer transforms have already removed what we never store
// (managedFields, last-applied annotations, node heartbeat times, …), so
// equal hashes mean "nothing changed that anyone can see in the lake".
func Encode(kind string, obj any) ([]byte, uint64, error) {
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false) // "<redacted>", "a->b" stay readable
	if err := e.Encode(obj); err != nil {
		return nil, 0, fmt.Errorf("encode %s: %w", kind, err)
	}
	body := bytes.TrimSuffix(enc.Bytes(), []byte{'\n'})
	if len(body) < 2 || body[0] != '{' {
		return nil, 0, fmt.Errorf("encode %s: not a JSON object", kind)
	}
	// Typed objects from informers have an empty TypeMeta; PartialObjectMetadata
	// carries the meta.k8s.io one. Either way, write the object's own.
	body = stripTypeMeta(body)
	var buf bytes.Buffer
	buf.Grow(len(body) + 64)
	fmt.Fprintf(&buf, `{"apiVersion":%q,"kind":%q`, APIVersion(kind), kind)
	if len(body) > 2 {
		buf.WriteByte(',')
	}
	buf.Write(body[1:])
	out := buf.Bytes()
	return out, hashWithoutRV(out), nil
}

var rvField = []byte(`"resourceVersion":"`)

// APIVersion is the apiVersion objects of kind are written in.
func APIVersion(kind string) string {
	if b, ok := byName[kind]; ok {
		return b.APIVersion()
	}
	return ""
}

// stripTypeMeta drops the leading "kind" and "apiVersion" that json.Marshal
// writes for PartialObjectMetadata (kind first) and unstructured objects
// (apiVersion first).
func stripTypeMeta(body []byte) []byte {
	fields := [][]byte{[]byte(`"kind":"`), []byte(`"apiVersion":"`), []byte(`"kind":"`)}
	for _, f := range fields {
		if !bytes.HasPrefix(body[1:], f) {
			continue
		}
		end := bytes.IndexByte(body[1+len(f):], '"')
		if end < 0 {
			return body
		}
		rest := body[1+len(f)+end+1:]
		if len(rest) > 0 && rest[0] == ',' {
			rest = rest[1:]
		}
		body = append([]byte{'{'}, rest...)
	}
	return body
}

// hashWithoutRV hashes data skipping the value of the first
// "resourceVersion" field, which is metadata's: ObjectMeta marshals it
// before labels, annotations and every other field that could hold one.
func hashWithoutRV(data []byte) uint64 {
	i := bytes.Index(data, rvField)
	if i < 0 {
		return xxhash.Sum64(data)
	}
	j := i + len(rvField)
	end := bytes.IndexByte(data[j:], '"')
	if end < 0 {
		return xxhash.Sum64(data)
	}
	d := xxhash.New()
	d.Write(data[:j])
	d.Write(data[j+end:])
	return d.Sum64()
}

// Checkpoint metadata: every row of one checkpoint shares ts and op.
func CheckpointMeta(obj metav1.Object, kind string, ts time.Time) lake.Meta {
	return Meta(obj, kind, lake.OpCheckpoint, ts)
}
