package main

import (
	"context"
	"strings"

	"github.com/atlhyper/atlhyper/functions/usage"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// split counts a scheduled job's requests in two meters: those about one
// cluster's keys (its partitions, its compaction lease and cursor, its
// _sys/clusters/ objects) and the rest, shared by the fleet (the cluster
// list, whole-table listings, job statuses, the _global partition).
type split struct {
	store.Bucket
	cluster, shared *store.Metered
}

func newSplit(b store.Bucket) *split {
	return &split{Bucket: b, cluster: store.NewMetered(b), shared: store.NewMetered(b)}
}

// clusterKey reports whether a key (or listing prefix) belongs to one
// cluster.
func clusterKey(key string) bool {
	id := ""
	if _, rest, ok := strings.Cut(key, "/cluster="); ok {
		id, _, _ = strings.Cut(rest, "/")
	} else {
		for _, p := range []string{lake.SysPrefix + "leases/compact-", lake.SysPrefix + "compaction/", lake.SysPrefix + "clusters/"} {
			if rest, ok := strings.CutPrefix(key, p); ok {
				id, _, _ = strings.Cut(rest, "/")
				id = strings.TrimSuffix(id, ".json")
				break
			}
		}
	}
	return id != "" && id != lake.GlobalCluster
}

func (s *split) pick(key string) *store.Metered {
	if clusterKey(key) {
		return s.cluster
	}
	return s.shared
}

func (s *split) Put(ctx context.Context, key string, data []byte, cond store.Condition) (store.Info, error) {
	return s.pick(key).Put(ctx, key, data, cond)
}

func (s *split) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, store.Info, error) {
	return s.pick(key).Get(ctx, key, ifNoneMatch)
}

func (s *split) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	return s.pick(key).GetRange(ctx, key, off, n)
}

func (s *split) Stat(ctx context.Context, key string) (store.Info, error) {
	return s.pick(key).Stat(ctx, key)
}

func (s *split) List(ctx context.Context, prefix, startAfter string, limit int) ([]store.Info, bool, error) {
	return s.pick(prefix).List(ctx, prefix, startAfter, limit)
}

func (s *split) Delete(ctx context.Context, key string) error {
	return s.pick(key).Delete(ctx, key)
}

// rates are requests (or bytes) per unit of something, by type.
type rates struct {
	put, get, list, del, head, notModified, preconditionFailed float64
}

func per(r store.Requests, n float64) rates {
	if n == 0 {
		return rates{}
	}
	return rates{put: float64(r.Put) / n, get: float64(r.Get) / n, list: float64(r.List) / n, del: float64(r.Delete) / n,
		head: float64(r.Head) / n, notModified: float64(r.NotModified) / n, preconditionFailed: float64(r.PreconditionFailed) / n}
}

func (a rates) plus(b rates) rates {
	return rates{a.put + b.put, a.get + b.get, a.list + b.list, a.del + b.del, a.head + b.head,
		a.notModified + b.notModified, a.preconditionFailed + b.preconditionFailed}
}

func (a rates) times(f float64) rates {
	return rates{a.put * f, a.get * f, a.list * f, a.del * f, a.head * f, a.notModified * f, a.preconditionFailed * f}
}

// usd prices requests at S3 Standard list prices (DELETE is free; 304s and
// 412s are billed as the GETs and PUTs they are).
func (a rates) usd() float64 {
	p := usage.S3Standard
	return (a.put+a.list)/1000*p.PutListPer1000 + (a.get+a.head)/1000*p.GetPer1000
}

func (a rates) byType() []struct {
	name string
	v    float64
} {
	return []struct {
		name string
		v    float64
	}{{"put", a.put}, {"get", a.get}, {"list", a.list}, {"head", a.head}, {"delete", a.del},
		{"not_modified", a.notModified}, {"precondition_failed", a.preconditionFailed}}
}
