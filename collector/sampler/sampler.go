// Package sampler reads a Linux host's /proc and /sys through
// prometheus/procfs and turns them into node metric samples: CPU (total and
// per core), load, memory, pressure, filesystems, disks, network,
// temperatures, uptime and optionally the busiest processes.
//
// Counters become rates between consecutive samples. A counter that goes
// backwards (device re-created, driver reloaded, CPU back from offline)
// yields no rate for that interval rather than a negative or enormous one;
// 32-bit counters that wrap are recognised. Devices that appear start
// producing rates from their second sample; devices that vanish simply stop.
//
// The sampler only reads: it never writes to /proc or /sys, never needs
// root, and runs in a non-privileged container given read-only mounts of
// the host's /proc, /sys and (for filesystem usage) /.
package sampler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/procfs"
	"github.com/prometheus/procfs/blockdevice"
	"github.com/prometheus/procfs/sysfs"

	"github.com/atlhyper/atlhyper/collector/payload"
)

// userHZ is the unit of /proc/stat and /proc/<pid>/stat times. Linux fixes
// it at 100 for user space on every architecture we run on; procfs assumes
// the same.
const userHZ = 100

// Sampler samples one host. It keeps the previous counters to compute
// rates, so one Sampler serves one sequence of samples; it is not safe for
// concurrent use.
type Sampler struct {
	cfg   Config
	proc  procfs.FS
	sys   sysfs.FS
	block blockdevice.FS

	// statfs is statfs(2) on a path; tests substitute fixed numbers because
	// a fixture tree has no filesystems of its own.
	statfs func(path string) (fsUsage, error)

	prev *counters

	mu    sync.Mutex
	stuck map[string]bool // mount points whose statfs has not returned
}

// counters is what the next sample needs from this one.
type counters struct {
	at    time.Time
	cpus  map[int64]cpuTicks
	total *cpuTicks
	disks map[string]blockdevice.IOStats
	nets  map[string]procfs.NetDevLine
	procs map[int]procTicks
}

// New checks that the roots exist and returns a Sampler.
func New(cfg Config) (*Sampler, error) {
	p, err := procfs.NewFS(cfg.ProcRoot)
	if err != nil {
		return nil, fmt.Errorf("proc root %s: %w", cfg.ProcRoot, err)
	}
	s, err := sysfs.NewFS(cfg.SysRoot)
	if err != nil {
		return nil, fmt.Errorf("sys root %s: %w", cfg.SysRoot, err)
	}
	b, err := blockdevice.NewFS(cfg.ProcRoot, cfg.SysRoot)
	if err != nil {
		return nil, fmt.Errorf("block devices under %s and %s: %w", cfg.ProcRoot, cfg.SysRoot, err)
	}
	if cfg.RootFS == "" {
		cfg.RootFS = "/"
	}
	return &Sampler{cfg: cfg, proc: p, sys: s, block: b, statfs: statfs, stuck: map[string]bool{}}, nil
}

// Sample reads the host once. now is the time of the reading; rates divide
// by the time since the previous call's now (monotonic when both come from
// time.Now). Sources that fail are reported in the joined error and
// skipped; the samples from the others are still returned. Sources the
// host simply lacks (no PSI, no hwmon, no thermal zones) are not errors.
func (s *Sampler) Sample(now time.Time) ([]payload.Sample, error) {
	out := &emitter{}
	cur := &counters{at: now}
	prev := s.prev
	dt := 0.0
	if prev != nil {
		dt = now.Sub(prev.at).Seconds()
		if dt <= 0 {
			prev = nil // clock trouble: no rates rather than wrong ones
		}
	}
	var errs []error
	try := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	try("cpu", s.sampleCPU(out, cur, prev, now))
	try("load", s.sampleLoad(out))
	try("memory", s.sampleMemory(out))
	try("pressure", s.samplePSI(out))
	try("filesystems", s.sampleFilesystems(out))
	try("disks", s.sampleDisks(out, cur, prev, dt))
	try("network", s.sampleNet(out, cur, prev, dt))
	try("temperatures", s.sampleTemps(out))
	if s.cfg.TopProcs > 0 {
		try("processes", s.sampleProcs(out, cur, prev, dt))
	}
	s.prev = cur
	return out.samples, errors.Join(errs...)
}

// Run samples on the interval grid (multiples of interval since the Unix
// epoch) until ctx ends and hands every scrape to emit, stamped with its
// grid point. Grid stamps make consecutive timestamps differ by exactly
// the interval, which the lake's delta encoding stores in almost no bits;
// a reading that is a few milliseconds late still lands on its own slot.
// Slots missed while the process was stalled stay empty.
func (s *Sampler) Run(ctx context.Context, interval time.Duration, log *slog.Logger, emit func(ts time.Time, samples []payload.Sample)) {
	// A first reading gives the first grid scrape a baseline for its rates.
	_, lastErr := s.Sample(time.Now())
	if lastErr != nil {
		log.Warn("sampling incomplete", "err", lastErr)
	}
	next := time.Now().Truncate(interval).Add(interval)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		samples, err := s.Sample(now)
		// Log when the set of failures changes, not every interval.
		switch {
		case err != nil && (lastErr == nil || err.Error() != lastErr.Error()):
			log.Warn("sampling incomplete", "err", err)
		case err == nil && lastErr != nil:
			log.Info("sampling complete again")
		}
		lastErr = err
		if len(samples) > 0 {
			emit(next, samples)
		}
		next = next.Add(interval)
		if !next.After(now) {
			next = now.Truncate(interval).Add(interval)
		}
		timer.Reset(time.Until(next))
	}
}

// emitter collects samples, rounding each kind to what it means.
type emitter struct{ samples []payload.Sample }

func (e *emitter) add(metric, device string, v float64) {
	e.samples = append(e.samples, payload.Sample{Metric: metric, Device: cleanDevice(device), Value: v})
}

// cleanDevice makes a device label from the host (sensor labels, process
// names, mount points) acceptable to the agent, which refuses a whole push
// over one bad label: valid UTF-8, no control characters, bounded length.
func cleanDevice(d string) string {
	if payload.ValidDevice(d) == nil {
		return d
	}
	d = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(d, "?"))
	for len(d) > maxDevice {
		_, n := utf8.DecodeLastRuneInString(d)
		d = d[:len(d)-n]
	}
	return d
}

// maxDevice is the agent's limit on device labels (payload.ValidDevice).
const maxDevice = payload.MaxDeviceLen

func (e *emitter) pct(metric, device string, v float64) { e.add(metric, device, RoundTo(v, pctStep)) }
func (e *emitter) size(metric, device string, v float64) {
	e.add(metric, device, RoundSig(v, sizeSig))
}

// rate adds a per-second rate unless it is absurd. After reset and wrap
// handling nothing on a node reaches 10^12 per second (8 Tbit/s, or a
// trillion packets or IOs); a larger value means a counter we misread, and
// a gap in the chart is better than a spike that flattens it.
func (e *emitter) rate(metric, device string, v float64) {
	if v < 0 || v > 1e12 || math.IsNaN(v) {
		return
	}
	e.add(metric, device, RoundSig(v, rateSig))
}

// delta is cur-prev of a monotonically increasing counter. A counter that
// went backwards either wrapped at 2^32 (some drivers and older kernels
// still export 32-bit counters) or was reset (device re-created, driver
// reloaded, module unloaded). A wrap is only assumed when prev was in the
// top quarter of the 32-bit range and cur is in the bottom quarter, which
// bounds the computed delta below 2^31; anything else is a reset and
// yields no rate for this interval.
func delta(prev, cur uint64) (uint64, bool) {
	if cur >= prev {
		return cur - prev, true
	}
	const top = 1<<32 - 1<<30
	if prev <= math.MaxUint32 && prev >= top && cur < 1<<30 {
		return cur + (math.MaxUint32 - prev) + 1, true
	}
	return 0, false
}

// sortedKeys returns a map's keys in order, so samples come out in a
// stable order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
