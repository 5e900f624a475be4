package sampler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/collector/payload"
)

// The fixture trees under testdata/<scenario>/<step>/{proc,sys} are
// procfs-style snapshots of a host taken 15 s apart. A test points the
// sampler at a symlink and re-points it between samples, so one Sampler
// sees the host change under it exactly as it would in production.

var t0 = time.Unix(1772359200, 0) // 2026-03-01T10:00:00Z, the fixtures' clock

type key struct{ metric, device string }

type fixture struct {
	t        *testing.T
	scenario string
	link     string
	s        *Sampler
}

func newFixture(t *testing.T, scenario string, edit func(*Config), usage map[string]fsUsage) *fixture {
	t.Helper()
	link := filepath.Join(t.TempDir(), "host")
	f := &fixture{t: t, scenario: scenario, link: link}
	f.point("t0")
	cfg := DefaultConfig()
	cfg.ProcRoot, cfg.SysRoot, cfg.RootFS = filepath.Join(link, "proc"), filepath.Join(link, "sys"), "/hostroot"
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.statfs = func(path string) (fsUsage, error) {
		if u, ok := usage[path]; ok {
			return u, nil
		}
		return fsUsage{}, fmt.Errorf("statfs %s: %w", path, os.ErrNotExist)
	}
	f.s = s
	return f
}

func (f *fixture) point(step string) {
	f.t.Helper()
	target, err := filepath.Abs(filepath.Join("testdata", f.scenario, step))
	if err != nil {
		f.t.Fatal(err)
	}
	os.Remove(f.link)
	if err := os.Symlink(target, f.link); err != nil {
		f.t.Fatal(err)
	}
}

// sample moves the host to step and samples it at the step's time.
func (f *fixture) sample(step string) map[key]float64 {
	f.t.Helper()
	f.point(step)
	var n int
	fmt.Sscanf(step, "t%d", &n)
	samples, err := f.s.Sample(t0.Add(time.Duration(n) * 15 * time.Second))
	if err != nil {
		f.t.Fatalf("%s: %v", step, err)
	}
	return toMap(f.t, samples)
}

func toMap(t *testing.T, samples []payload.Sample) map[key]float64 {
	t.Helper()
	m := map[key]float64{}
	for _, s := range samples {
		k := key{s.Metric, s.Device}
		if _, dup := m[k]; dup {
			t.Errorf("series %s %q emitted twice", s.Metric, s.Device)
		}
		m[k] = s.Value
	}
	return m
}

func diff(t *testing.T, what string, got, want map[key]float64) {
	t.Helper()
	var lines []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("missing %s %q (want %v)", k.metric, k.device, w))
		case g != w:
			lines = append(lines, fmt.Sprintf("%s %q = %v, want %v", k.metric, k.device, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, fmt.Sprintf("unexpected %s %q = %v", k.metric, k.device, g))
		}
	}
	if len(lines) > 0 {
		slices.Sort(lines)
		t.Errorf("%s:\n  %s", what, strings.Join(lines, "\n  "))
	}
}

// merge builds an expectation from parts.
func merge(parts ...map[key]float64) map[key]float64 {
	out := map[key]float64{}
	for _, p := range parts {
		for k, v := range p {
			out[k] = v
		}
	}
	return out
}

func cpu(device string, user, system, iowait, steal, idle float64) map[key]float64 {
	return map[key]float64{
		{CPUUser, device}: user, {CPUSystem, device}: system, {CPUIOWait, device}: iowait,
		{CPUSteal, device}: steal, {CPUIdle, device}: idle,
	}
}

func disk(device string, rbytes, wbytes, reads, writes, util float64) map[key]float64 {
	return map[key]float64{
		{DiskReadBytes, device}: rbytes, {DiskWriteBytes, device}: wbytes,
		{DiskReads, device}: reads, {DiskWrites, device}: writes, {DiskUtil, device}: util,
	}
}

func nic(device string, rxb, rxp, rxe, rxd, txb, txp, txe, txd float64) map[key]float64 {
	return map[key]float64{
		{NetRxBytes, device}: rxb, {NetRxPackets, device}: rxp, {NetRxErrors, device}: rxe, {NetRxDrops, device}: rxd,
		{NetTxBytes, device}: txb, {NetTxPackets, device}: txp, {NetTxErrors, device}: txe, {NetTxDrops, device}: txd,
	}
}

var basicUsage = map[string]fsUsage{
	"/hostroot":             {size: 100e9, used: 40e9, avail: 55e9, inodes: 6553600, inodesUsed: 123456},
	"/hostroot/boot":        {size: 1073741824, used: 104857600, avail: 900000000, inodes: 65536, inodesUsed: 350},
	"/hostroot/mnt/my data": {size: 2e12, used: 1.5e12, avail: 5e11}, // xfs without inode numbers here
}

// basicGauges are what every sample of the basic host reports, rates or not.
var basicGauges = merge(map[key]float64{
	{Load1, ""}: 1.25, {Load5, ""}: 0.5, {Load15, ""}: 0.1,
	// 16384000 kB total, 8192000 kB available: 4 significant digits.
	{MemTotal, ""}: 1.678e10, {MemUsed, ""}: 8.389e9, {MemAvailable, ""}: 8.389e9,
	{MemCached, ""}: 4.194e9, {MemBuffers, ""}: 5.243e8, {SwapTotal, ""}: 2.097e9, {SwapUsed, ""}: 1.049e9,
	{PSISome, "cpu"}: 1.2, {PSIFull, "cpu"}: 0, {PSISome, "memory"}: 0.5, {PSIFull, "memory"}: 0.3,
	{PSISome, "io"}: 12.3, {PSIFull, "io"}: 5.7,
	// "/" once, although /var/lib/kubelet is a bind mount of it; /boot;
	// the octal-escaped "/mnt/my data". Not: proc, sysfs, tmpfs, overlay,
	// cgroup2, nfs4, or the pod's volume under /var/lib/kubelet/pods.
	{FSSize, "/"}: 1e11, {FSUsed, "/"}: 4e10, {FSAvail, "/"}: 5.5e10, {FSInodes, "/"}: 6554000, {FSInodesUsed, "/"}: 123500,
	{FSSize, "/boot"}: 1.074e9, {FSUsed, "/boot"}: 1.049e8, {FSAvail, "/boot"}: 9e8, {FSInodes, "/boot"}: 65540, {FSInodesUsed, "/boot"}: 350,
	{FSSize, "/mnt/my data"}: 2e12, {FSUsed, "/mnt/my data"}: 1.5e12, {FSAvail, "/mnt/my data"}: 5e11,
	// hwmon: labels where the chip has them, tempN where not, the second
	// nvme chip told apart by its hwmon index, the 255 °C sentinel and the
	// unreadable sensor skipped. Thermal zones by type.
	{TempCelsius, "coretemp/Package id 0"}: 45, {TempCelsius, "coretemp/Core 0"}: 43.5,
	{TempCelsius, "nvme/Composite"}: 38.9, {TempCelsius, "acpitz/temp1"}: 27.8,
	{TempCelsius, "nvme@hwmon3/Composite"}: 40,
	{TempCelsius, "thermal/x86_pkg_temp"}:  46, {TempCelsius, "thermal/acpitz"}: 27.8,
	{TempCelsius, "thermal/acpitz#2"}: 29.8,
})

func TestBasicHost(t *testing.T) {
	f := newFixture(t, "basic", nil, basicUsage)

	// First sample: gauges only, no rates without a baseline.
	diff(t, "t0", f.sample("t0"), merge(basicGauges, map[key]float64{{Uptime, ""}: 1000}))

	diff(t, "t1", f.sample("t1"), merge(basicGauges, map[key]float64{{Uptime, ""}: 1015},
		// Per core, 1500 ticks each in 15 s. user includes nice, system
		// includes irq and softirq; the total is over all four.
		cpu("", 38, 11, 1, 2.5, 47.5),
		cpu("cpu0", 20, 12, 4, 0, 64),
		cpu("cpu1", 50, 20, 0, 0, 30),
		cpu("cpu2", 2, 2, 0, 0, 96),
		cpu("cpu3", 80, 10, 0, 10, 0),
		// sda: 30000 sectors read, 60000 written, 150 + 300 IOs, 1.5 s busy.
		// Its partition sda1 and loop0 are not reported.
		disk("sda", 1.02e6, 2.05e6, 10, 20, 10),
		disk("nvme0n1", 0, 0, 0, 0, 0),
		// eth0 only: lo, veth* and cali* are virtual.
		nic("eth0", 1e6, 1000, 1, 2, 1e5, 500, 0, 0),
	))
}

func TestTopProcs(t *testing.T) {
	f := newFixture(t, "basic", func(c *Config) { c.TopProcs = 2 }, basicUsage)
	f.sample("t0")
	got := f.sample("t1")
	procs := map[key]float64{}
	for k, v := range got {
		if strings.HasPrefix(k.metric, "proc.") {
			procs[k] = v
		}
	}
	rss := RoundSig(float64(2560*os.Getpagesize()), sizeSig)
	diff(t, "top processes", procs, map[key]float64{
		// nginx: 1200 ticks in 15 s. pid 300 exited, pid 400 was reused
		// by a new process (different start time): neither has a rate.
		{ProcCPU, "nginx[100]"}: 80, {ProcRSS, "nginx[100]"}: rss,
		{ProcCPU, "my app[200]"}: 10, {ProcRSS, "my app[200]"}: RoundSig(float64(100*os.Getpagesize()), sizeSig),
	})
}

// TestEdges walks a host through the awkward cases: a CPU going offline
// and coming back with restarted counters, another CPU's counters going
// backwards, a disk appearing and another's counters resetting, a 32-bit
// counter wrapping, a counter resetting alone, an interface disappearing,
// no hwmon and no PSI at all, and mountinfo only under /proc/self.
func TestEdges(t *testing.T) {
	usage := map[string]fsUsage{"/hostroot": {size: 50e9, used: 10e9, avail: 40e9, inodes: 1000, inodesUsed: 10}}
	f := newFixture(t, "edges", nil, usage)
	gauges := map[key]float64{
		{Load1, ""}: 0, {Load5, ""}: 0.01, {Load15, ""}: 0.05,
		{MemTotal, ""}: 1.024e9, {MemUsed, ""}: 4.096e8, {MemAvailable, ""}: 6.144e8,
		{MemCached, ""}: 1.024e8, {MemBuffers, ""}: 0, {SwapTotal, ""}: 0, {SwapUsed, ""}: 0,
		{FSSize, "/"}: 5e10, {FSUsed, "/"}: 1e10, {FSAvail, "/"}: 4e10, {FSInodes, "/"}: 1000, {FSInodesUsed, "/"}: 10,
	}
	diff(t, "t0", f.sample("t0"), merge(gauges, map[key]float64{{Uptime, ""}: 100, {TempCelsius, "thermal/cpu-thermal"}: 50}))

	diff(t, "t1", f.sample("t1"), merge(gauges, map[key]float64{{Uptime, ""}: 115, {TempCelsius, "thermal/cpu-thermal"}: 51},
		// cpu2 went offline: the others and a total over them.
		cpu("", 10, 10, 0, 0, 80), cpu("cpu0", 10, 10, 0, 0, 80), cpu("cpu1", 10, 10, 0, 0, 80), cpu("cpu3", 10, 10, 0, 0, 80),
		// sdb appeared: no rate until it has a baseline.
		disk("sda", 102000, 205000, 2, 4, 10),
		nic("eth0", 1000, 10, 0, 0, 2000, 20, 0, 0),
		// eth1: rx_bytes wrapped at 2^32 (296 bytes before the wrap,
		// 14704 after); tx_bytes was reset and has no rate; the rest go on.
		map[key]float64{
			{NetRxBytes, "eth1"}: 1000, {NetRxPackets, "eth1"}: 10, {NetRxErrors, "eth1"}: 0, {NetRxDrops, "eth1"}: 0,
			{NetTxPackets, "eth1"}: 10, {NetTxErrors, "eth1"}: 0, {NetTxDrops, "eth1"}: 0,
		},
		nic("eth2", 100, 2, 0, 0, 200, 4, 0, 0),
	))

	diff(t, "t2", f.sample("t2"), merge(gauges, map[key]float64{{Uptime, ""}: 130, {TempCelsius, "thermal/cpu-thermal"}: 52},
		// cpu2 is back but has no baseline; cpu3's idle went backwards.
		cpu("", 10, 10, 0, 0, 80), cpu("cpu0", 10, 10, 0, 0, 80), cpu("cpu1", 10, 10, 0, 0, 80),
		// sda's counters reset (device re-created): no rates. sdb now has them.
		disk("sdb", 102000, 0, 2, 0, 5),
		// 1 error and 3 drops in 15 s; eth2 is gone.
		nic("eth0", 1000, 10, 0.0667, 0, 2000, 20, 0, 0.2),
		nic("eth1", 1000, 10, 0, 0, 99.9, 10, 0, 0),
	))
}

func TestNoBaselineAfterClockStep(t *testing.T) {
	f := newFixture(t, "basic", nil, basicUsage)
	f.sample("t0")
	f.point("t1")
	samples, err := f.s.Sample(t0.Add(-time.Minute)) // clock went backwards
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if strings.HasSuffix(s.Metric, "_per_s") || strings.HasPrefix(s.Metric, "cpu.") {
			t.Errorf("rate %s %q computed across a backwards clock step", s.Metric, s.Device)
		}
	}
}

func TestFailingSourceDoesNotStopOthers(t *testing.T) {
	// No statfs numbers at all: filesystems fail, everything else reports.
	f := newFixture(t, "basic", nil, nil)
	f.point("t0")
	samples, err := f.s.Sample(t0)
	if err == nil || !strings.Contains(err.Error(), "filesystems") {
		t.Fatalf("err = %v, want a filesystems error", err)
	}
	got := toMap(t, samples)
	if _, ok := got[key{MemTotal, ""}]; !ok {
		t.Errorf("memory missing when only filesystems failed")
	}
}

func TestStatfsTimeout(t *testing.T) {
	f := newFixture(t, "edges", nil, nil)
	release := make(chan struct{})
	calls := 0
	f.s.statfs = func(string) (fsUsage, error) {
		calls++
		<-release
		return fsUsage{}, nil
	}
	start := time.Now()
	_, err := f.s.statfsBounded("/hang")
	if err == nil || time.Since(start) < statfsTimeout {
		t.Fatalf("err %v after %s, want a timeout after %s", err, time.Since(start), statfsTimeout)
	}
	// While the call hangs the mount is skipped at once.
	if _, err := f.s.statfsBounded("/hang"); !errors.Is(err, errStuck) {
		t.Fatalf("second call: %v, want errStuck", err)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.s.mu.Lock()
		stuck := f.s.stuck["/hang"]
		f.s.mu.Unlock()
		if !stuck {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("mount still marked stuck after statfs returned")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if calls != 1 {
		t.Fatalf("statfs called %d times, want 1", calls)
	}
}

func TestDelta(t *testing.T) {
	for _, c := range []struct {
		prev, cur uint64
		want      uint64
		ok        bool
	}{
		{10, 25, 15, true},
		{10, 10, 0, true},
		{1<<32 - 100, 50, 150, true},     // 32-bit wrap
		{1<<32 - 1, 0, 1, true},          // wrap to exactly zero
		{1_000_000, 500, 0, false},       // reset
		{1 << 40, 5, 0, false},           // a 64-bit counter never wraps in practice: reset
		{1<<32 - 100, 1 << 31, 0, false}, // too far past the wrap to be one
	} {
		got, ok := delta(c.prev, c.cur)
		if got != c.want || ok != c.ok {
			t.Errorf("delta(%d, %d) = %d, %v; want %d, %v", c.prev, c.cur, got, ok, c.want, c.ok)
		}
	}
}

func TestRounding(t *testing.T) {
	for _, c := range []struct{ v, want float64 }{
		{1234567, 1230000}, {0.0123456, 0.0123}, {999.6, 1000}, {-45678, -45700}, {0, 0}, {1e15 + 3, 1e15},
	} {
		if got := RoundSig(c.v, 3); got != c.want {
			t.Errorf("RoundSig(%v, 3) = %v, want %v", c.v, got, c.want)
		}
	}
	for _, c := range []struct{ v, step, want float64 }{
		{12.34, 0.1, 12.3}, {12.36, 0.1, 12.4}, {0.004, 0.01, 0}, {1.239, 0.01, 1.24}, {99.96, 0.1, 100},
	} {
		if got := RoundTo(c.v, c.step); got != c.want {
			t.Errorf("RoundTo(%v, %v) = %v, want %v", c.v, c.step, got, c.want)
		}
	}
}

func TestCleanDevice(t *testing.T) {
	for in, want := range map[string]string{
		"eth0":                   "eth0",
		"bad\x00label\n":         "bad?label?",
		"\xff\xfe":               "?",
		strings.Repeat("é", 100): strings.Repeat("é", 64),
	} {
		got := cleanDevice(in)
		if got != want {
			t.Errorf("cleanDevice(%q) = %q, want %q", in, got, want)
		}
		if err := payload.ValidDevice(got); err != nil {
			t.Errorf("cleanDevice(%q) = %q, still invalid: %v", in, got, err)
		}
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/mnt/my\040data`: "/mnt/my data", `/a\134b`: `/a\b`, `/plain`: "/plain", `/trailing\04`: `/trailing\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}
