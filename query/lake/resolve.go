package lake

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

// Stored is one data object found in a partition listing.
type Stored struct {
	store.Info
	ObjectKey
}

// ListPartition lists the data objects of one table, cluster and day.
// Keys outside the layout (stray files) are ignored.
func ListPartition(ctx context.Context, b store.Bucket, table, cluster string, day time.Time) ([]Stored, error) {
	infos, err := store.ListAll(ctx, b, PartitionPrefix(table, cluster, day))
	if err != nil {
		return nil, err
	}
	objs := make([]Stored, 0, len(infos))
	for _, info := range infos {
		k, err := ParseKey(info.Key)
		if err != nil || k.Table != table {
			continue
		}
		objs = append(objs, Stored{Info: info, ObjectKey: k})
	}
	return objs, nil
}

// ListTable lists the data objects of one table and cluster in days from
// from on (every day when from is zero), in key order: one paged listing
// of the cluster's prefix, however many days it spans. Keys outside the
// layout are ignored.
func ListTable(ctx context.Context, b store.Bucket, table, cluster string, from time.Time) ([]Stored, error) {
	prefix := fmt.Sprintf("%s/cluster=%s/", table, cluster)
	after := ""
	if !from.IsZero() {
		// Sorts before every key of that day and after every earlier one.
		after = strings.TrimSuffix(PartitionPrefix(table, cluster, from), "/")
	}
	var objs []Stored
	for {
		page, more, err := b.List(ctx, prefix, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, info := range page {
			if k, err := ParseKey(info.Key); err == nil && k.Table == table {
				objs = append(objs, Stored{Info: info, ObjectKey: k})
			}
		}
		if !more || len(page) == 0 {
			return objs, nil
		}
		after = page[len(page)-1].Key
	}
}

// Visible applies the compaction commit rule to the objects of one
// partition and returns those a reader must read, in key order.
//
// A compacted object names the objects it replaces (its inputs, in its
// footer). Writing it is the commit: from then on its inputs are hidden.
// Should two compactions ever race and claim the same input, the one with
// the smaller ULID wins and the other is ignored (and later deleted), so
// every reader, at every moment, sees each row exactly once.
//
// inputs is called for compacted objects only.
func Visible(objs []Stored, inputs func(Stored) ([]string, error)) ([]Stored, error) {
	hidden, _, err := supersession(objs, inputs)
	if err != nil {
		return nil, err
	}
	var out []Stored
	for _, o := range objs {
		if !hidden[o.Name()] {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Info.Key < out[j].Info.Key })
	return out, nil
}

// supersession returns the names hidden from readers (inputs of committed
// compacted objects, and losing compacted objects) and, for each hidden
// input, the committed object that hides it.
func supersession(objs []Stored, inputs func(Stored) ([]string, error)) (hidden map[string]bool, by map[string]Stored, err error) {
	var compacted []Stored
	for _, o := range objs {
		if o.Compacted() {
			compacted = append(compacted, o)
		}
	}
	sort.Slice(compacted, func(i, j int) bool { return compacted[i].ID.Compare(compacted[j].ID) < 0 })
	hidden, by = map[string]bool{}, map[string]Stored{}
	for _, c := range compacted {
		in, err := inputs(c)
		if err != nil {
			return nil, nil, fmt.Errorf("inputs of %s: %w", c.Info.Key, err)
		}
		conflict := false
		for _, name := range in {
			if _, taken := by[name]; taken {
				conflict = true
				break
			}
		}
		if conflict {
			hidden[c.Name()] = true // lost a race; its rows are elsewhere
			continue
		}
		for _, name := range in {
			by[name] = c
			hidden[name] = true
		}
	}
	// A loser that a winner (wrongly) took as input stays hidden; a winner
	// named as input by a later winner is hidden by that one.
	return hidden, by, nil
}

// Overlapping keeps the objects that may hold rows in [from, to).
func Overlapping(objs []Stored, from, to time.Time) []Stored {
	var out []Stored
	for _, o := range objs {
		if o.Covers(from, to) {
			out = append(out, o)
		}
	}
	return out
}

// Days lists the UTC days that [from, to) touches.
func Days(from, to time.Time) []time.Time {
	var days []time.Time
	for d := Day(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	return days
}

// Clusters lists the cluster ids that have registered under _sys/clusters/.
func Clusters(ctx context.Context, b store.Bucket) ([]string, error) {
	infos, err := store.ListAll(ctx, b, SysPrefix+"clusters/")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, info := range infos {
		rest := strings.TrimPrefix(info.Key, SysPrefix+"clusters/")
		id, _, _ := strings.Cut(rest, "/")
		if !seen[id] && ValidCluster(id) == nil {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ClusterKey is the key of a small per-cluster object under _sys/, e.g.
// ClusterKey("prod", "current.json").
func ClusterKey(cluster, name string) string {
	return SysPrefix + "clusters/" + cluster + "/" + name
}
