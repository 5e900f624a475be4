package store

import (
	"context"
	"sync/atomic"
)

// Metered wraps a Bucket and counts requests by type. Object-store bills
// are mostly request counts, so every process reports these numbers (the
// agent in its heartbeat, the API in its self-monitoring).
type Metered struct {
	Bucket
	puts, gets, lists, deletes, heads, errors atomic.Int64
	bytesIn, bytesOut                         atomic.Int64
}

var _ Bucket = (*Metered)(nil)

// NewMetered wraps b.
func NewMetered(b Bucket) *Metered { return &Metered{Bucket: b} }

// Requests is a snapshot of a Metered bucket's counters.
type Requests struct {
	Put      int64 `json:"put"`
	Get      int64 `json:"get"`
	List     int64 `json:"list"`
	Delete   int64 `json:"delete"`
	Head     int64 `json:"head"`
	Errors   int64 `json:"errors"`
	BytesIn  int64 `json:"bytes_in"`  // written to the store
	BytesOut int64 `json:"bytes_out"` // read from the store
}

// Requests returns the counters so far.
func (m *Metered) Requests() Requests {
	return Requests{Put: m.puts.Load(), Get: m.gets.Load(), List: m.lists.Load(), Delete: m.deletes.Load(),
		Head: m.heads.Load(), Errors: m.errors.Load(), BytesIn: m.bytesIn.Load(), BytesOut: m.bytesOut.Load()}
}

func (m *Metered) count(c *atomic.Int64, err error) {
	c.Add(1)
	if err != nil && !IsNotModified(err) && !IsNotFound(err) && !IsPreconditionFailed(err) {
		m.errors.Add(1)
	}
}

func (m *Metered) Put(ctx context.Context, key string, data []byte, cond Condition) (Info, error) {
	info, err := m.Bucket.Put(ctx, key, data, cond)
	m.count(&m.puts, err)
	if err == nil {
		m.bytesIn.Add(int64(len(data)))
	}
	return info, err
}

func (m *Metered) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, Info, error) {
	data, info, err := m.Bucket.Get(ctx, key, ifNoneMatch)
	m.count(&m.gets, err)
	m.bytesOut.Add(int64(len(data)))
	return data, info, err
}

func (m *Metered) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	data, err := m.Bucket.GetRange(ctx, key, off, n)
	m.count(&m.gets, err)
	m.bytesOut.Add(int64(len(data)))
	return data, err
}

func (m *Metered) Stat(ctx context.Context, key string) (Info, error) {
	info, err := m.Bucket.Stat(ctx, key)
	m.count(&m.heads, err)
	return info, err
}

func (m *Metered) List(ctx context.Context, prefix, startAfter string, limit int) ([]Info, bool, error) {
	page, more, err := m.Bucket.List(ctx, prefix, startAfter, limit)
	m.count(&m.lists, err)
	return page, more, err
}

func (m *Metered) Delete(ctx context.Context, key string) error {
	err := m.Bucket.Delete(ctx, key)
	m.count(&m.deletes, err)
	return err
}
