package controlplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stopTimeout is how long a component may take to exit after SIGTERM.
const stopTimeout = 15 * time.Second

// process is one component the control plane started.
type process struct {
	name   string
	health string // URL that answers 200 once the component is up
	logs   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait returned
	err    error         // cmd.Wait's result, set before exited closes
}

// start runs a component in its own process group, its output in
// Dir/<name>.log, and records it for Stop.
func (c *ControlPlane) start(path, name, health string, args, env []string) (*process, error) {
	logs := c.path(name + ".log")
	out, err := os.Create(logs)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	defer out.Close() // the child keeps its own descriptor
	cmd := exec.Command(path, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own group, so Stop reaches anything it forks; the parent death
	// signal takes it down if the test binary dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, health: health, logs: logs, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	c.procs = append(c.procs, p)
	return p, nil
}

// waitHealthy polls the component's health URL until it answers 200.
func (p *process) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		// The components serve health on loopback with a certificate they
		// made up at start; there is nothing to verify it against.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe
	}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.health, nil)
		if err != nil {
			return fmt.Errorf("%s health: %w", p.name, err)
		}
		if resp, err := client.Do(req); err != nil {
			last = err.Error()
		} else {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during startup (%v)%s", p.name, p.err, tail(p.logs, 30))
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy at %s (%s): %w%s", p.name, p.health, last, ctx.Err(), tail(p.logs, 30))
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM to the process group, then SIGKILL if it has not
// exited within stopTimeout.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid
	select {
	case <-p.exited:
		// Exited on its own: a crash is worth reporting, its children still get killed.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return fmt.Errorf("%s had exited before stop (%v)%s", p.name, p.err, tail(p.logs, 20))
	default:
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
	// The group outlives its leader if the leader forked; none of these do,
	// but a straggler must not survive the test.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s's process group: %w", p.name, err)
	}
	return nil
}

// killLeftovers SIGKILLs every process whose command line mentions dir
// (each component gets paths in it) and describes them.
func killLeftovers(dir string) []string {
	if dir == "" {
		return nil
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var left []string
	for _, f := range procs {
		data, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(data), dir+string(filepath.Separator)) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
			left = append(left, fmt.Sprintf("pid %d %s", pid, filepath.Base(args[0])))
		}
	}
	return left
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the component binds it; the component then fails to
// start and says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail formats the last lines of a log file for an error message.
func tail(path string, lines int) string {
	return fmt.Sprintf("\n--- %s (tail) ---\n%s", filepath.Base(path), lastLines(path, lines))
}

// lastLines returns the last lines of a file.
func lastLines(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
