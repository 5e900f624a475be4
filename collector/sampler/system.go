package sampler

import (
	"errors"
	"math"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// cpuTicks is one line of /proc/stat in clock ticks. procfs hands out
// seconds as float64; integer ticks make "did this counter go backwards"
// an exact question.
type cpuTicks struct {
	user, nice, system, idle, iowait, irq, softirq, steal uint64
}

func ticksOf(s procfs.CPUStat) cpuTicks {
	t := func(sec float64) uint64 {
		if sec <= 0 {
			return 0
		}
		return uint64(math.Round(sec * userHZ))
	}
	// guest and guest_nice are already included in user and nice.
	return cpuTicks{t(s.User), t(s.Nice), t(s.System), t(s.Idle), t(s.Iowait), t(s.IRQ), t(s.SoftIRQ), t(s.Steal)}
}

// cpuDelta is the time spent in each state between two readings.
type cpuDelta struct{ user, system, iowait, steal, idle uint64 }

func (d cpuDelta) total() uint64 { return d.user + d.system + d.iowait + d.steal + d.idle }

func (d *cpuDelta) add(o cpuDelta) {
	d.user += o.user
	d.system += o.system
	d.iowait += o.iowait
	d.steal += o.steal
	d.idle += o.idle
}

// diffCPU subtracts two readings of one CPU. With strict set, any field
// going backwards voids the interval (the CPU was reset, e.g. re-onlined);
// without it, backward fields count as zero. The kernel's all-CPU line
// needs the lenient form: when a CPU goes offline its idle time switches
// from the nohz clock to the tick counter, and the sum can step back.
func diffCPU(p, c cpuTicks, strict bool) (cpuDelta, bool) {
	ok := true
	d := func(a, b uint64) uint64 {
		if b < a {
			ok = false
			return 0
		}
		return b - a
	}
	out := cpuDelta{
		user:   d(p.user, c.user) + d(p.nice, c.nice),
		system: d(p.system, c.system) + d(p.irq, c.irq) + d(p.softirq, c.softirq),
		iowait: d(p.iowait, c.iowait),
		steal:  d(p.steal, c.steal),
		idle:   d(p.idle, c.idle),
	}
	if strict && !ok {
		return cpuDelta{}, false
	}
	return out, out.total() > 0
}

func (e *emitter) cpu(device string, d cpuDelta) {
	t := float64(d.total())
	e.pct(CPUUser, device, 100*float64(d.user)/t)
	e.pct(CPUSystem, device, 100*float64(d.system)/t)
	e.pct(CPUIOWait, device, 100*float64(d.iowait)/t)
	e.pct(CPUSteal, device, 100*float64(d.steal)/t)
	e.pct(CPUIdle, device, 100*float64(d.idle)/t)
}

// sampleCPU emits CPU shares and uptime from /proc/stat.
func (s *Sampler) sampleCPU(out *emitter, cur, prev *counters, now time.Time) error {
	st, err := s.proc.Stat()
	if err != nil {
		return err
	}
	if st.BootTime > 0 {
		up := now.Sub(time.Unix(int64(st.BootTime), 0)).Seconds()
		if up >= 0 {
			out.add(Uptime, "", math.Round(up))
		}
	}
	total := ticksOf(st.CPUTotal)
	cur.total = &total
	cur.cpus = make(map[int64]cpuTicks, len(st.CPU))
	for id, c := range st.CPU {
		cur.cpus[id] = ticksOf(c)
	}
	if prev == nil {
		return nil
	}
	// The node total is the sum over CPUs online at both readings. CPUs that
	// went offline or came back during the interval are left out rather than
	// trusted: their counters restart or their idle time is accounted
	// differently, which is what makes the kernel's own total line jump.
	var sum cpuDelta
	n := 0
	var per []func()
	for _, id := range sortedKeys(cur.cpus) {
		p, ok := prev.cpus[id]
		if !ok {
			continue // came online during the interval
		}
		d, ok := diffCPU(p, cur.cpus[id], true)
		if !ok {
			continue
		}
		sum.add(d)
		n++
		dev := "cpu" + itoa(id)
		per = append(per, func() { out.cpu(dev, d) })
	}
	switch {
	case n > 0 && sum.total() > 0:
		out.cpu("", sum)
	case prev.total != nil:
		// No per-CPU lines (some container runtimes virtualise /proc/stat
		// with only the total): fall back to the kernel's total.
		if d, ok := diffCPU(*prev.total, total, false); ok {
			out.cpu("", d)
		}
	}
	for _, f := range per {
		f()
	}
	return nil
}

func (s *Sampler) sampleLoad(out *emitter) error {
	l, err := s.proc.LoadAvg()
	if err != nil {
		return err
	}
	out.add(Load1, "", RoundTo(l.Load1, loadStep))
	out.add(Load5, "", RoundTo(l.Load5, loadStep))
	out.add(Load15, "", RoundTo(l.Load15, loadStep))
	return nil
}

func (s *Sampler) sampleMemory(out *emitter) error {
	m, err := s.proc.Meminfo()
	if err != nil {
		return err
	}
	v := func(p *uint64) float64 {
		if p == nil {
			return 0
		}
		return float64(*p)
	}
	total := v(m.MemTotalBytes)
	if total == 0 {
		return nil
	}
	avail := v(m.MemAvailableBytes)
	if m.MemAvailableBytes == nil {
		// Kernels before 3.14 have no MemAvailable; this is what free(1)
		// did then.
		avail = v(m.MemFreeBytes) + v(m.BuffersBytes) + v(m.CachedBytes)
	}
	out.size(MemTotal, "", total)
	out.size(MemUsed, "", max(total-avail, 0))
	out.size(MemAvailable, "", avail)
	out.size(MemCached, "", v(m.CachedBytes))
	out.size(MemBuffers, "", v(m.BuffersBytes))
	swapTotal := v(m.SwapTotalBytes)
	out.size(SwapTotal, "", swapTotal)
	out.size(SwapUsed, "", max(swapTotal-v(m.SwapFreeBytes), 0))
	return nil
}

// samplePSI emits avg10 pressure where the kernel has it (4.20+, and not
// disabled with psi=0).
func (s *Sampler) samplePSI(out *emitter) error {
	for _, res := range []string{"cpu", "memory", "io"} {
		p, err := s.proc.PSIStatsForResource(res)
		if err != nil {
			// Absent before 4.20; EOPNOTSUPP when built in but off (psi=0).
			if isNotExist(err) || errors.Is(err, syscall.EOPNOTSUPP) {
				continue
			}
			return err
		}
		if p.Some != nil {
			out.pct(PSISome, res, p.Some.Avg10)
		}
		if p.Full != nil {
			out.pct(PSIFull, res, p.Full.Avg10)
		}
	}
	return nil
}
