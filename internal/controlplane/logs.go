package controlplane

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Container logs: kwok plays the kubelet's log endpoint too. Its server
// (TLS and plain HTTP on one port) is every kwok node's kubelet endpoint,
// the API server reaches it by the node's InternalIP (127.0.0.1) and does
// not verify its certificate (no --kubelet-certificate-authority), and a
// ClusterLogs rule appended to kwok's configuration serves every container
// of every pod from two files: SetPodLogs writes them. kwok reads them the
// way the kubelet reads a container runtime's logs (CRI format), so
// tailLines, limitBytes, sinceSeconds and previous behave as on a real
// node.

// logFiles are the current and previous container log kwok serves.
func (c *ControlPlane) logFiles() (current, previous string) {
	return c.path("logs", "current.log"), c.path("logs", "previous.log")
}

// writeKwokConfig writes kwok's configuration: the stages (kwok.yaml) and
// the ClusterLogs rule, with empty logs.
func (c *ControlPlane) writeKwokConfig() error {
	if err := os.Mkdir(c.path("logs"), 0o700); err != nil {
		return fmt.Errorf("kwok logs dir: %w", err)
	}
	if err := c.SetPodLogs("", ""); err != nil {
		return err
	}
	current, previous := c.logFiles()
	rule := fmt.Sprintf(`---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: every-container
spec:
  logs:
  - logsFile: %q
    previousLogsFile: %q
`, current, previous)
	if err := os.WriteFile(c.path("kwok.yaml"), append(append([]byte{}, kwokStages...), rule...), 0o600); err != nil {
		return fmt.Errorf("kwok config: %w", err)
	}
	return nil
}

// SetPodLogs sets what every container of every pod on a kwok node logged
// (current) and what its previous instance logged (previous), each line
// timestamped now. GET pods/log returns them from then on. The logs are
// the control plane's, not a namespace's: tests that set them must not
// run in parallel with each other.
func (c *ControlPlane) SetPodLogs(current, previous string) error {
	cur, prev := c.logFiles()
	for path, text := range map[string]string{cur: current, prev: previous} {
		if err := writeAtomic(path, criLog(text, time.Now())); err != nil {
			return fmt.Errorf("pod logs: %w", err)
		}
	}
	return nil
}

// criLog renders text as a container runtime's log file: one
// "<RFC3339Nano> stdout F <line>" per line.
func criLog(text string, at time.Time) []byte {
	var b strings.Builder
	ts := at.UTC().Format(time.RFC3339Nano)
	for line := range strings.Lines(text) {
		fmt.Fprintf(&b, "%s stdout F %s\n", ts, strings.TrimSuffix(line, "\n"))
	}
	return []byte(b.String())
}

// writeAtomic replaces path so a concurrent reader sees the old or the new
// content, never half.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
