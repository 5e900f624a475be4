// Package spool is the agent's delivery guarantee: a lake.Sink that puts
// each object into the store and, when the store cannot take it, keeps it
// in a bounded directory on local disk until an upload loop gets it there.
//
// Objects are immutable and their keys fixed when they are encoded, so an
// upload is a create-only put and replaying one that already landed (its
// response lost) answers 412, which counts as delivered: nothing is
// duplicated, however often a spooled object is retried.
//
// A spooled file is written to a temporary name, fsynced, renamed into
// place and the directory fsynced, so after a crash every file in the
// spool is whole. Retries back off exponentially with full jitter, and
// while anything is spooled new objects join the queue instead of
// hammering a store that is down. A full spool refuses objects with
// ErrFull — loudly, in Stats and the caller's metrics — and never drops
// one silently: the writer then holds them in memory and retries.
package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/internal/backoff"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var _ lake.Sink = (*Spool)(nil)

// ErrFull is returned by Put when the spool cannot hold another object.
var ErrFull = errors.New("spool full")

// Config configures a Spool.
type Config struct {
	Dir      string       // created if missing
	Bucket   store.Bucket // where objects go
	MaxBytes int64        // default 256 MiB
	// PutTimeout bounds one upload attempt (default 30 s).
	PutTimeout time.Duration
	// MinBackoff and MaxBackoff bound the retry delay (defaults 1 s, 5 min).
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	// OnUpload, if set, is called after each object reaches the store,
	// with whether it came from the spool.
	OnUpload func(key string, bytes int, spooled bool)
}

// Stats describe the spool.
type Stats struct {
	Objects  int
	Bytes    int64
	MaxBytes int64
	Full     bool      // the last object offered was refused
	Oldest   time.Time // spool time of the oldest object (zero if empty)
	// Counters since start.
	Spooled, Uploaded, Refused, UploadErrors int64
	LastError                                string
}

// Spool is a lake.Sink with an on-disk fallback.
type Spool struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}

	mu       sync.Mutex
	files    map[string]int64 // file name → size
	bytes    int64
	seq      uint64
	failures int       // consecutive upload failures
	retryAt  time.Time // no direct upload before this while backing off
	stats    Stats
}

const (
	fileSuffix = ".spool"
	tmpPrefix  = ".tmp-"
	magic      = "ATLSPOOL1\n"
)

// Open opens (or creates) the spool directory and counts what a previous
// run left in it; Run uploads it.
func Open(cfg Config) (*Spool, error) {
	if cfg.Dir == "" {
		return nil, errors.New("spool: no directory")
	}
	if cfg.Bucket == nil {
		return nil, errors.New("spool: no bucket")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 256 << 20
	}
	if cfg.PutTimeout <= 0 {
		cfg.PutTimeout = 30 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1), files: map[string]int64{}}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			// A write that never completed; its object is still pending
			// in the process that crashed, i.e. lost with it, or was
			// re-offered after restart by nobody. Either way not whole.
			_ = os.Remove(filepath.Join(cfg.Dir, name))
		case strings.HasSuffix(name, fileSuffix):
			info, err := e.Info()
			if err != nil {
				continue
			}
			s.files[name] = info.Size()
			s.bytes += info.Size()
		}
	}
	s.updateStatsLocked()
	if len(s.files) > 0 {
		s.log.Info("spool holds objects from a previous run; uploading", "dir", cfg.Dir, "objects", len(s.files), "bytes", s.bytes)
	}
	return s, nil
}

// Put delivers an object: to the store if it answers, else to the spool.
// It fails only for an invalid key or a full spool.
func (s *Spool) Put(ctx context.Context, key string, data []byte) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	direct := len(s.files) == 0 && !time.Now().Before(s.retryAt)
	s.mu.Unlock()
	if direct {
		err := s.upload(ctx, key, data)
		if err == nil {
			s.uploaded(key, len(data), false)
			return nil
		}
		d := s.failed(err)
		s.log.Warn("store put failed; spooling", "key", key, "retry_in", d.Round(time.Millisecond), "error", err)
	}
	return s.spool(key, data)
}

func (s *Spool) upload(ctx context.Context, key string, data []byte) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.PutTimeout)
	defer cancel()
	_, err := s.cfg.Bucket.Put(ctx, key, data, store.IfAbsent)
	if store.IsPreconditionFailed(err) {
		return nil // an earlier attempt landed
	}
	return err
}

func (s *Spool) uploaded(key string, n int, spooled bool) {
	s.mu.Lock()
	s.stats.Uploaded++
	s.failures = 0
	s.retryAt = time.Time{}
	s.mu.Unlock()
	if s.cfg.OnUpload != nil {
		s.cfg.OnUpload(key, n, spooled)
	}
}

// failed records an upload failure and schedules the next attempt
// (internal/backoff: exponential, jittered).
func (s *Spool) failed(err error) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	s.stats.UploadErrors++
	s.stats.LastError = err.Error()
	d := backoff.Backoff{Min: s.cfg.MinBackoff, Max: s.cfg.MaxBackoff}.Delay(s.failures - 1)
	s.retryAt = time.Now().Add(d)
	return d
}

func (s *Spool) spool(key string, data []byte) error {
	size := int64(len(magic) + 4 + len(key) + len(data) + 4)
	s.mu.Lock()
	if s.bytes+size > s.cfg.MaxBytes {
		s.stats.Refused++
		s.stats.Full = true
		s.mu.Unlock()
		s.log.Error("spool full: object refused, held in memory until the store is back", "key", key,
			"spool_bytes", s.bytes, "max_bytes", s.cfg.MaxBytes)
		return fmt.Errorf("%w (%d of %d bytes)", ErrFull, s.bytes, s.cfg.MaxBytes)
	}
	s.seq++
	name := fmt.Sprintf("%020d-%08d%s", time.Now().UnixNano(), s.seq, fileSuffix)
	s.bytes += size // reserve
	s.mu.Unlock()

	if err := writeFile(s.cfg.Dir, name, encode(key, data)); err != nil {
		s.mu.Lock()
		s.bytes -= size
		s.mu.Unlock()
		return fmt.Errorf("spool %s: %w", key, err)
	}
	s.mu.Lock()
	s.files[name] = size
	s.stats.Spooled++
	s.stats.Full = false
	s.updateStatsLocked()
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

func encode(key string, data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(magic) + 8 + len(key) + len(data))
	b.WriteString(magic)
	binary.Write(&b, binary.BigEndian, uint32(len(key)))
	b.WriteString(key)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), crc32.MakeTable(crc32.Castagnoli)))
	return b.Bytes()
}

func decode(raw []byte) (string, []byte, error) {
	if len(raw) < len(magic)+8 || string(raw[:len(magic)]) != magic {
		return "", nil, errors.New("not a spool file")
	}
	body, sum := raw[:len(raw)-4], binary.BigEndian.Uint32(raw[len(raw)-4:])
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != sum {
		return "", nil, errors.New("checksum mismatch")
	}
	rest := body[len(magic):]
	n := binary.BigEndian.Uint32(rest)
	if int(n) > len(rest)-4 {
		return "", nil, errors.New("bad key length")
	}
	return string(rest[4 : 4+n]), rest[4+n:], nil
}

// writeFile writes data durably: temp file, fsync, rename, fsync dir.
func writeFile(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *Spool) updateStatsLocked() {
	s.stats.Objects, s.stats.Bytes, s.stats.MaxBytes = len(s.files), s.bytes, s.cfg.MaxBytes
	s.stats.Oldest = time.Time{}
	for name := range s.files {
		if t := spoolTime(name); !t.IsZero() && (s.stats.Oldest.IsZero() || t.Before(s.stats.Oldest)) {
			s.stats.Oldest = t
		}
	}
}

func spoolTime(name string) time.Time {
	ns, _, ok := strings.Cut(name, "-")
	if !ok {
		return time.Time{}
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Stats returns the spool's state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Run uploads spooled objects, oldest first, until ctx ends.
func (s *Spool) Run(ctx context.Context) {
	for {
		wait := s.drainOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if wait > 0 {
			// Back off; objects spooled meanwhile wait their turn.
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
	}
}

// Drain uploads everything spooled now, stopping at the first failure.
// It reports how many objects remain.
func (s *Spool) Drain(ctx context.Context) (int, error) {
	s.mu.Lock()
	s.retryAt = time.Time{}
	s.mu.Unlock()
	s.drainOnce(ctx)
	st := s.Stats()
	if st.Objects > 0 {
		return st.Objects, fmt.Errorf("%d objects still spooled: %s", st.Objects, st.LastError)
	}
	return 0, nil
}

// drainOnce uploads spooled objects until the spool is empty (returns 0)
// or an upload fails (returns the backoff before the next try).
func (s *Spool) drainOnce(ctx context.Context) time.Duration {
	for ctx.Err() == nil {
		s.mu.Lock()
		if wait := time.Until(s.retryAt); wait > 0 && len(s.files) > 0 {
			s.mu.Unlock()
			return wait
		}
		names := make([]string, 0, len(s.files))
		for n := range s.files {
			names = append(names, n)
		}
		s.mu.Unlock()
		if len(names) == 0 {
			return 0
		}
		sort.Strings(names)
		for _, name := range names {
			path := filepath.Join(s.cfg.Dir, name)
			raw, err := os.ReadFile(path)
			var key string
			var data []byte
			if err == nil {
				key, data, err = decode(raw)
			}
			if err != nil {
				// Unreadable: move aside for an operator rather than
				// retrying it forever or deleting evidence.
				s.log.Error("spooled object unreadable; moved aside", "file", name, "error", err)
				_ = os.Rename(path, path+".bad")
				s.forget(name)
				continue
			}
			if err := s.upload(ctx, key, data); err != nil {
				if ctx.Err() != nil {
					return 0
				}
				d := s.failed(err)
				s.log.Warn("spooled upload failed; backing off", "key", key, "retry_in", d.Round(time.Millisecond), "spooled", len(names), "error", err)
				return d
			}
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				s.log.Error("remove uploaded spool file", "file", name, "error", err)
			}
			s.forget(name)
			s.uploaded(key, len(data), true)
		}
	}
	return 0
}

func (s *Spool) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size, ok := s.files[name]; ok {
		s.bytes -= size
		delete(s.files, name)
	}
	s.updateStatsLocked()
}
