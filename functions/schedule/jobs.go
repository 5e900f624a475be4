package schedule

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Compaction merges small objects and applies retention for every
// registered cluster (and the _global partition). cfg.Bucket is not used:
// each run works through the bucket RunOnce gives it.
func Compaction(cfg compact.Config, every time.Duration) Job {
	return Job{Name: JobCompact, Every: every, Run: func(ctx context.Context, b store.Bucket, now func() time.Time) (any, error) {
		cfg := cfg
		cfg.Bucket = b
		if cfg.Now == nil {
			cfg.Now = now
		}
		c, err := compact.New(cfg)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		rep, err := c.Run(ctx)
		if err == nil && len(rep.Errors) > 0 {
			err = fmt.Errorf("%d partitions failed: %s", len(rep.Errors), strings.Join(rep.Errors, "; "))
		}
		return rep, err
	}}
}

// Inventory is what the lake holds: the numbers behind self-monitoring.
type Inventory struct {
	At     time.Time                  `json:"at"`
	Tables map[string]*TableInventory `json:"tables"`
	// Backlog counts objects that compaction has not merged yet although
	// their hour closed more than an hour ago.
	Backlog int `json:"compaction_backlog"`
}

// TableInventory counts one table's objects and bytes, in all and per cluster.
type TableInventory struct {
	Objects   int64            `json:"objects"`
	Bytes     int64            `json:"bytes"`
	Clusters  map[string]int64 `json:"bytes_by_cluster"`
	Compacted int64            `json:"compacted_objects"`
	// ClusterObjects counts objects per cluster (absent from inventories
	// taken before it was added).
	ClusterObjects map[string]int64 `json:"objects_by_cluster,omitempty"`
}

// InventoryKey is where the last inventory is stored.
const InventoryKey = lake.SysPrefix + "inventory.json"

// TakeInventory lists every table once (one LIST request per thousand
// objects) and counts what it finds.
func TakeInventory(ctx context.Context, b store.Bucket, now time.Time) (*Inventory, error) {
	inv := &Inventory{At: now.UTC(), Tables: map[string]*TableInventory{}}
	for _, t := range lake.All() {
		ti := &TableInventory{Clusters: map[string]int64{}, ClusterObjects: map[string]int64{}}
		inv.Tables[t.Name()] = ti
		infos, err := store.ListAll(ctx, b, t.Name()+"/")
		if err != nil {
			return nil, err
		}
		// Raw objects of a closed hour are backlog unless a merged object
		// already covers their hour or day (then they await deletion).
		raw := map[string]int{}
		merged := map[string]bool{}
		for _, info := range infos {
			k, err := lake.ParseKey(info.Key)
			if err != nil {
				continue
			}
			ti.Objects++
			ti.Bytes += info.Size
			ti.Clusters[k.Cluster] += info.Size
			ti.ClusterObjects[k.Cluster]++
			if k.Compacted() {
				ti.Compacted++
				merged[k.Partition()+k.Span] = true
			} else if h := k.Hour(); h >= 0 && now.Sub(k.Date.Add(time.Duration(h+2)*time.Hour)) > 0 {
				raw[k.Partition()+k.Span]++
			}
		}
		for span, n := range raw {
			day := span[:len(span)-2] + lake.DaySpan
			if !merged[span] && !merged[day] {
				inv.Backlog += n
			}
		}
	}
	return inv, nil
}

// InventoryJob takes the inventory and stores it for the API to serve,
// and samples the agents' request counters (SampleAgents).
func InventoryJob(every time.Duration) Job {
	return Job{Name: JobInventory, Every: every, Run: func(ctx context.Context, b store.Bucket, now func() time.Time) (any, error) {
		inv, err := TakeInventory(ctx, b, now())
		if err != nil {
			return nil, err
		}
		if err := putJSON(ctx, b, InventoryKey, inv); err != nil {
			return nil, err
		}
		sampled, err := SampleAgents(ctx, b, now())
		return map[string]any{"objects": inv.objects(), "backlog": inv.Backlog, "agents_sampled": sampled}, err
	}}
}

func (inv *Inventory) objects() int64 {
	var n int64
	for _, t := range inv.Tables {
		n += t.Objects
	}
	return n
}

// TableNames returns the inventory's tables, sorted.
func (inv *Inventory) TableNames() []string {
	names := make([]string, 0, len(inv.Tables))
	for n := range inv.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
