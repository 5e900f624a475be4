// Package nodesynth synthesizes node metrics as a collector on a busy cloud
// node sends them, for benchmarks: the collector bench encodes a day of them
// (bytes per sample at rest), the agent bench pushes them to a running agent
// (its memory with node metrics buffered). Values behave as real hosts'
// do, so that encodings and compression see realistic data.
package nodesynth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/collector/sampler"
)

// Node is one synthesized node. Its samples follow a daily load curve with
// per-interval noise (computed from tick counts and rounded exactly as the
// sampler does): constant sizes, slowly drifting memory and disk usage,
// bursty disk IO, noisy network traffic, temperatures that follow load at
// sensor resolution, and uptime ticking on.
type Node struct {
	Name  string
	r     *rand.Rand
	cores int
	step  time.Duration
	// load profile
	base, amp, phase float64
	steal            bool
	// state
	load1, load5, load15    float64
	memUsed, cached, buffer float64
	fsUsed                  [2]float64
	inodesUsed              [2]float64
	psi                     [3]float64
	uptime                  float64
	burst                   [2]int // remaining steps of a disk burst
}

const (
	memTotal = 32 << 30
	fsSize0  = 100e9
	fsSize1  = 500e9
)

// NewNode returns a node with cores CPU cores sampled every step, its
// load profile drawn from r.
func NewNode(r *rand.Rand, name string, cores int, step time.Duration) *Node {
	return &Node{
		Name: name, r: r, cores: cores, step: step,
		base: 0.1 + 0.2*r.Float64(), amp: 0.2 + 0.3*r.Float64(), phase: r.Float64() * 2 * math.Pi,
		steal:   r.IntN(3) == 0,
		memUsed: memTotal * (0.3 + 0.3*r.Float64()), cached: memTotal * 0.2, buffer: 300e6,
		fsUsed: [2]float64{fsSize0 * (0.2 + 0.3*r.Float64()), fsSize1 * 0.4}, inodesUsed: [2]float64{400e3, 2e6},
		uptime: float64(86400 * (1 + r.IntN(60))),
	}
}

// NodeName is the name of the i-th synthesized node of a cluster.
func NodeName(i int) string { return fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", i/4, 10+i*7) }

// Step returns the samples of scrape i of a day of steps scrapes (the
// position in the day drives the load curve).
func (s *Node) Step(i, steps int) []payload.Sample {
	r := s.r
	var out []payload.Sample
	add := func(metric, device string, v float64) {
		out = append(out, payload.Sample{Metric: metric, Device: device, Value: v})
	}
	pct := func(metric, device string, v float64) { add(metric, device, sampler.RoundTo(v, 0.1)) }
	size := func(metric, device string, v float64) { add(metric, device, sampler.RoundSig(v, 4)) }
	rate := func(metric, device string, v float64) { add(metric, device, sampler.RoundSig(max(v, 0), 3)) }

	// CPU: the day's load curve, per core a noisy share of it, in ticks
	// (100 per second per core) as /proc/stat counts them.
	load := s.base + s.amp*(0.5+0.5*math.Sin(2*math.Pi*float64(i)/float64(steps)+s.phase))
	ticks := s.step.Seconds() * 100
	var tot [5]float64
	busyCores := 0.0
	var per [][5]float64
	for range s.cores {
		busy := clamp(load*(0.7+0.6*r.Float64())+r.NormFloat64()*0.04, 0.005, 0.99)
		busyCores += busy
		user := math.Round(ticks * busy * 0.78)
		system := math.Round(ticks * busy * 0.2)
		iowait := math.Round(ticks * max(0, r.NormFloat64()*0.003))
		steal := 0.0
		if s.steal {
			steal = math.Round(ticks * max(0, r.NormFloat64()*0.004))
		}
		idle := max(0, ticks-user-system-iowait-steal)
		c := [5]float64{user, system, iowait, steal, idle}
		per = append(per, c)
		for k := range c {
			tot[k] += c[k]
		}
	}
	names := [5]string{sampler.CPUUser, sampler.CPUSystem, sampler.CPUIOWait, sampler.CPUSteal, sampler.CPUIdle}
	emitCPU := func(dev string, c [5]float64) {
		sum := c[0] + c[1] + c[2] + c[3] + c[4]
		for k, m := range names {
			pct(m, dev, 100*c[k]/sum)
		}
	}
	emitCPU("", tot)
	for k, c := range per {
		emitCPU(fmt.Sprintf("cpu%d", k), c)
	}

	// Load averages: the kernel's exponential averages of runnable tasks.
	runnable := busyCores + max(0, r.NormFloat64()*0.5)
	s.load1 += (runnable - s.load1) * (1 - math.Exp(-s.step.Seconds()/60))
	s.load5 += (runnable - s.load5) * (1 - math.Exp(-s.step.Seconds()/300))
	s.load15 += (runnable - s.load15) * (1 - math.Exp(-s.step.Seconds()/900))
	add(sampler.Load1, "", sampler.RoundTo(s.load1, 0.01))
	add(sampler.Load5, "", sampler.RoundTo(s.load5, 0.01))
	add(sampler.Load15, "", sampler.RoundTo(s.load15, 0.01))

	// Memory: used wanders by a few MB per interval, with an occasional
	// pod start or stop; the page cache grows until reclaimed.
	s.memUsed = clamp(s.memUsed+r.NormFloat64()*4e6+jump(r, 0.01, 300e6), 0.2*memTotal, 0.85*memTotal)
	s.cached = clamp(s.cached+r.NormFloat64()*2e6+1e6, 0.05*memTotal, memTotal-s.memUsed-1e9)
	s.buffer = clamp(s.buffer+r.NormFloat64()*2e5, 100e6, 600e6)
	size(sampler.MemTotal, "", memTotal)
	size(sampler.MemUsed, "", s.memUsed)
	size(sampler.MemAvailable, "", memTotal-s.memUsed)
	size(sampler.MemCached, "", s.cached)
	size(sampler.MemBuffers, "", s.buffer)
	size(sampler.SwapTotal, "", 0)
	size(sampler.SwapUsed, "", 0)

	// Pressure: avg10 follows CPU saturation; memory rarely, io in bursts.
	s.psi[0] += (max(0, (load-0.5)*60+r.NormFloat64()*2) - s.psi[0]) * 0.8
	s.psi[1] += (jump(r, 0.002, 5) - s.psi[1]) * 0.8
	s.psi[2] += (max(0, r.NormFloat64()*0.5) + jump(r, 0.03, 10) - s.psi[2]) * 0.8
	for k, res := range []string{"cpu", "memory", "io"} {
		pct(sampler.PSISome, res, max(0, s.psi[k]))
		pct(sampler.PSIFull, res, max(0, s.psi[k]*0.3)*float64(min(k, 1)))
	}

	// Filesystems: constant sizes, usage creeping up with logs and images,
	// cut back by the occasional cleanup.
	for k, mp := range []string{"/", "/var/lib/containerd"} {
		fsSize := []float64{fsSize0, fsSize1}[k]
		s.fsUsed[k] = clamp(s.fsUsed[k]+r.ExpFloat64()*1.5e6-jump(r, 0.0005, 2e9), 0.1*fsSize, 0.9*fsSize)
		s.inodesUsed[k] += float64(r.IntN(20)) - 9
		size(sampler.FSSize, mp, fsSize)
		size(sampler.FSUsed, mp, s.fsUsed[k])
		size(sampler.FSAvail, mp, fsSize*0.95-s.fsUsed[k])
		size(sampler.FSInodes, mp, 6553600)
		size(sampler.FSInodesUsed, mp, s.inodesUsed[k])
	}

	// Disks: a trickle of journal writes, reads mostly served from cache,
	// and bursts (image pulls, compactions) that last a few intervals.
	for k, dev := range []string{"nvme0n1", "nvme1n1"} {
		if s.burst[k] == 0 && r.Float64() < 0.01 {
			s.burst[k] = 1 + r.IntN(8)
		}
		wbytes := 40e3 * r.ExpFloat64()
		rbytes := 0.0
		if r.Float64() < 0.2 {
			rbytes = 20e3 * r.ExpFloat64()
		}
		if s.burst[k] > 0 {
			s.burst[k]--
			wbytes += 80e6 * r.Float64()
			rbytes += 150e6 * r.Float64()
		}
		writes := math.Round(wbytes / 16e3 * s.step.Seconds()) // whole IOs per interval
		reads := math.Round(rbytes / 64e3 * s.step.Seconds())
		rate(sampler.DiskReadBytes, dev, rbytes)
		rate(sampler.DiskWriteBytes, dev, wbytes)
		rate(sampler.DiskReads, dev, reads/s.step.Seconds())
		rate(sampler.DiskWrites, dev, writes/s.step.Seconds())
		pct(sampler.DiskUtil, dev, min(100, (reads+writes)*0.5e-3/s.step.Seconds()*100)) // 0.5 ms per IO
	}

	// Network: traffic follows load with noise; errors never, drops rarely.
	rx := (2e6 + 20e6*load) * (0.8 + 0.4*r.Float64())
	tx := rx * (0.3 + 0.2*r.Float64())
	rate(sampler.NetRxBytes, "ens5", rx)
	rate(sampler.NetTxBytes, "ens5", tx)
	rate(sampler.NetRxPackets, "ens5", math.Round(rx/900*s.step.Seconds())/s.step.Seconds())
	rate(sampler.NetTxPackets, "ens5", math.Round(tx/400*s.step.Seconds())/s.step.Seconds())
	rate(sampler.NetRxErrors, "ens5", 0)
	rate(sampler.NetTxErrors, "ens5", 0)
	rate(sampler.NetRxDrops, "ens5", float64(boolInt(r.Float64() < 0.002))/s.step.Seconds())
	rate(sampler.NetTxDrops, "ens5", 0)

	// Temperatures at sensor resolution: coretemp in whole degrees, the
	// NVMe composite in whole kelvin.
	pkg := 38 + 40*load + r.NormFloat64()
	add(sampler.TempCelsius, "coretemp/Package id 0", math.Round(pkg))
	for c := range 4 {
		add(sampler.TempCelsius, fmt.Sprintf("coretemp/Core %d", c), math.Round(pkg-2+r.NormFloat64()))
	}
	add(sampler.TempCelsius, "nvme/Composite", sampler.RoundTo(math.Round(308+5*load+r.NormFloat64()*0.3)-273.15, 0.1))

	s.uptime += s.step.Seconds()
	add(sampler.Uptime, "", s.uptime)
	return out
}

// jump is size with probability p, else 0.
func jump(r *rand.Rand, p, size float64) float64 {
	if r.Float64() < p {
		return size * r.Float64()
	}
	return 0
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
