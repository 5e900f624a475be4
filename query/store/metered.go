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
	notModified, preconditionFailed           atomic.Int64
	bytesIn, bytesOut                         atomic.Int64
}

var _ Bucket = (*Metered)(nil)

// NewMetered wraps b.
func NewMetered(b Bucket) *Metered { return &Metered{Bucket: b} }

// Requests is a snapshot of a Metered bucket's counters.
type Requests struct {
	Put    int64 `json:"put"`
	Get    int64 `json:"get"`
	List   int64 `json:"list"`
	Delete int64 `json:"delete"`
	Head   int64 `json:"head"`
	Errors int64 `json:"errors"`
	// NotModified counts the GETs among Get that were answered 304 (a
	// conditional GET of an unchanged object); PreconditionFailed the PUTs
	// among Put answered 412 (a create-only or compare-and-swap write that
	// lost). Both are billed like any other request of their type.
	NotModified        int64 `json:"not_modified"`
	PreconditionFailed int64 `json:"precondition_failed"`
	BytesIn            int64 `json:"bytes_in"`  // written to the store
	BytesOut           int64 `json:"bytes_out"` // read from the store
}

// Requests returns the counters so far.
func (m *Metered) Requests() Requests {
	return Requests{Put: m.puts.Load(), Get: m.gets.Load(), List: m.lists.Load(), Delete: m.deletes.Load(),
		Head: m.heads.Load(), Errors: m.errors.Load(), NotModified: m.notModified.Load(),
		PreconditionFailed: m.preconditionFailed.Load(), BytesIn: m.bytesIn.Load(), BytesOut: m.bytesOut.Load()}
}

// Sub returns the requests made between an earlier snapshot and r.
func (r Requests) Sub(earlier Requests) Requests {
	return Requests{Put: r.Put - earlier.Put, Get: r.Get - earlier.Get, List: r.List - earlier.List,
		Delete: r.Delete - earlier.Delete, Head: r.Head - earlier.Head, Errors: r.Errors - earlier.Errors,
		NotModified: r.NotModified - earlier.NotModified, PreconditionFailed: r.PreconditionFailed - earlier.PreconditionFailed,
		BytesIn: r.BytesIn - earlier.BytesIn, BytesOut: r.BytesOut - earlier.BytesOut}
}

// Add returns the sum of r and o.
func (r Requests) Add(o Requests) Requests {
	return Requests{Put: r.Put + o.Put, Get: r.Get + o.Get, List: r.List + o.List, Delete: r.Delete + o.Delete,
		Head: r.Head + o.Head, Errors: r.Errors + o.Errors, NotModified: r.NotModified + o.NotModified,
		PreconditionFailed: r.PreconditionFailed + o.PreconditionFailed, BytesIn: r.BytesIn + o.BytesIn, BytesOut: r.BytesOut + o.BytesOut}
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
	if IsPreconditionFailed(err) {
		m.preconditionFailed.Add(1)
	}
	if err == nil {
		m.bytesIn.Add(int64(len(data)))
	}
	return info, err
}

func (m *Metered) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, Info, error) {
	data, info, err := m.Bucket.Get(ctx, key, ifNoneMatch)
	m.count(&m.gets, err)
	if IsNotModified(err) {
		m.notModified.Add(1)
	}
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
