package sampler

import (
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/collector/payload"
)

// TestHost samples this machine's real /proc and /sys twice and checks that
// everything is in a plausible range and that the agent would accept it.
func TestHost(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.TopProcs = 5
	if _, err := s.Sample(time.Now()); err != nil {
		t.Fatalf("first sample: %v", err)
	}
	time.Sleep(1100 * time.Millisecond)
	now := time.Now()
	samples, err := s.Sample(now)
	if err != nil {
		t.Fatalf("second sample: %v", err)
	}
	checkHost(t, samples, now)
}

// TestHostUnprivileged repeats TestHost as an unprivileged user (nobody),
// which is how the collector runs in its DaemonSet: everything it reads
// must be readable without root or capabilities.
func TestHostUnprivileged(t *testing.T) {
	if os.Getenv("SAMPLER_UNPRIVILEGED_CHILD") == "1" {
		if os.Geteuid() == 0 {
			t.Fatal("child still runs as root")
		}
		return // the child's work is TestHost, selected by -test.run
	}
	if os.Geteuid() != 0 {
		t.Log("already unprivileged: TestHost covers it")
		return
	}
	// The test binary lives in a root-only build directory: give nobody a
	// copy it can execute.
	dir, err := os.MkdirTemp("", "sampler-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "sampler.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^(TestHost|TestHostUnprivileged)$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SAMPLER_UNPRIVILEGED_CHILD=1", "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHost ") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func checkHost(t *testing.T, samples []payload.Sample, now time.Time) {
	t.Helper()
	// Whatever this host has, the agent accepts it.
	p := payload.Payload{Node: "sanity", Instance: "test", Seq: 1, IntervalMS: 15000,
		Scrapes: []payload.Scrape{{TSMillis: now.UnixMilli(), Samples: samples}}}
	if err := p.Validate(payload.DefaultLimits); err != nil {
		t.Fatalf("agent would refuse this host's samples: %v", err)
	}
	m := toMap(t, samples)
	has := map[string]int{}
	for k, v := range m {
		has[strings.SplitN(k.metric, ".", 2)[0]]++
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s %q = %v", k.metric, k.device, v)
		}
		switch {
		case strings.HasSuffix(k.metric, "_per_s"), strings.HasSuffix(k.metric, "_bytes"),
			strings.HasPrefix(k.metric, "fs.inodes"), strings.HasPrefix(k.metric, "load."):
			if v < 0 {
				t.Errorf("%s %q = %v, want >= 0", k.metric, k.device, v)
			}
		case strings.HasSuffix(k.metric, "_pct") && k.metric != ProcCPU:
			if v < 0 || v > 100 {
				t.Errorf("%s %q = %v, want 0..100", k.metric, k.device, v)
			}
		case k.metric == TempCelsius:
			if v <= minCelsius || v >= maxCelsius {
				t.Errorf("%s %q = %v °C", k.metric, k.device, v)
			}
		}
	}
	for _, group := range []string{"cpu", "load", "mem", "fs", "disk", "host"} {
		if has[group] == 0 {
			t.Errorf("no %s.* samples from this host", group)
		}
	}
	for k := range m {
		if k.metric != CPUUser {
			continue
		}
		sum := 0.0
		for _, metric := range []string{CPUUser, CPUSystem, CPUIOWait, CPUSteal, CPUIdle} {
			sum += m[key{metric, k.device}]
		}
		if math.Abs(sum-100) > 0.3 {
			t.Errorf("cpu %q shares add up to %v", k.device, sum)
		}
	}
	if total, used := m[key{MemTotal, ""}], m[key{MemUsed, ""}]; used <= 0 || used > total {
		t.Errorf("memory used %v of %v", used, total)
	}
	if up := m[key{Uptime, ""}]; up <= 0 || up > 10*365*86400 {
		t.Errorf("uptime %v s", up)
	}
	for k, size := range m {
		if k.metric == FSSize && m[key{FSUsed, k.device}] > size {
			t.Errorf("filesystem %s uses %v of %v", k.device, m[key{FSUsed, k.device}], size)
		}
	}
	t.Logf("%d samples: %v", len(samples), has)
}
