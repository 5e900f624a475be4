package sampler

import "math"

// Metric names: the public contract of the node_metrics table's metric
// column (docs/node-metrics.md). Device says which CPU, mount point, disk,
// interface, sensor or process a series is about; "" for node-wide series.
const (
	// CPU time shares over the interval, device "" (all CPUs) or "cpuN".
	// user includes nice; system includes irq and softirq; with idle,
	// iowait and steal the five add up to 100.
	CPUUser   = "cpu.user_pct"
	CPUSystem = "cpu.system_pct"
	CPUIOWait = "cpu.iowait_pct"
	CPUSteal  = "cpu.steal_pct"
	CPUIdle   = "cpu.idle_pct"

	Load1  = "load.1m"
	Load5  = "load.5m"
	Load15 = "load.15m"

	MemTotal     = "mem.total_bytes"
	MemUsed      = "mem.used_bytes" // total - available
	MemAvailable = "mem.available_bytes"
	MemCached    = "mem.cached_bytes"
	MemBuffers   = "mem.buffers_bytes"
	SwapTotal    = "mem.swap_total_bytes"
	SwapUsed     = "mem.swap_used_bytes"

	// Pressure stall information, device "cpu", "memory" or "io".
	PSISome = "psi.some_avg10_pct"
	PSIFull = "psi.full_avg10_pct"

	// Filesystems, device = mount point.
	FSSize       = "fs.size_bytes"
	FSUsed       = "fs.used_bytes"
	FSAvail      = "fs.avail_bytes"
	FSInodes     = "fs.inodes_total"
	FSInodesUsed = "fs.inodes_used"

	// Block devices, device = kernel name (sda, nvme0n1, vda, dm-0).
	DiskReadBytes  = "disk.read_bytes_per_s"
	DiskWriteBytes = "disk.write_bytes_per_s"
	DiskReads      = "disk.reads_per_s"
	DiskWrites     = "disk.writes_per_s"
	DiskUtil       = "disk.util_pct"

	// Network interfaces, device = interface name.
	NetRxBytes   = "net.rx_bytes_per_s"
	NetTxBytes   = "net.tx_bytes_per_s"
	NetRxPackets = "net.rx_packets_per_s"
	NetTxPackets = "net.tx_packets_per_s"
	NetRxErrors  = "net.rx_errors_per_s"
	NetTxErrors  = "net.tx_errors_per_s"
	NetRxDrops   = "net.rx_drops_per_s"
	NetTxDrops   = "net.tx_drops_per_s"

	// Temperatures, device "<hwmon chip>/<label>" or "thermal/<zone type>".
	TempCelsius = "temp.celsius"

	Uptime = "host.uptime_seconds"

	// Top processes (TopProcs > 0), device "<comm>[<pid>]". CPU is in
	// percent of one core, so a busy multi-threaded process exceeds 100.
	ProcCPU = "proc.cpu_pct"
	ProcRSS = "proc.rss_bytes"
)

// Rounding. The lake stores float32 and compresses series whose values
// repeat; digits below what a value means (sub-permille jitter of a byte
// rate, the 7th digit of a memory size) are noise that costs bytes at rest
// and that no chart shows. So the collector rounds before sending:
//
//	percentages            0.1
//	load averages          0.01 (the kernel's own precision)
//	temperatures           0.1 °C
//	uptime                 1 s
//	rates (bytes/s, ops/s) 3 significant digits
//	sizes (bytes, inodes)  4 significant digits
const (
	pctStep  = 0.1
	loadStep = 0.01
	tempStep = 0.1
	rateSig  = 3
	sizeSig  = 4
)

// RoundTo rounds v to a multiple of step (a power of ten).
func RoundTo(v, step float64) float64 {
	// Dividing by the reciprocal's integer form keeps 0.1 steps exact in
	// decimal: round(v*10)/10 rather than round(v/0.1)*0.1.
	inv := math.Round(1 / step)
	if inv >= 1 {
		return math.Round(v*inv) / inv
	}
	return math.Round(v/step) * step
}

// RoundSig rounds v to n significant decimal digits.
func RoundSig(v float64, n int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := n - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if p >= 0 {
		s := math.Pow10(p)
		return math.Round(v*s) / s
	}
	// Large values: divide and multiply by an integer power of ten so the
	// result is an exact integer.
	s := math.Pow10(-p)
	return math.Round(v/s) * s
}
