package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/collector/nodetoken"
)

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("ATLHYPER_INTERVAL", "30s")
	t.Setenv("ATLHYPER_AGENT_URL", "http://agent:8080/v1/node-metrics")
	t.Setenv("ATLHYPER_TOP_PROCS", "5")
	t.Setenv("ATLHYPER_DISK_PARTITIONS", "true")
	t.Setenv("NODE_NAME", "node-7")
	o, err := parseFlags([]string{"--top-procs=3", "--proc=/host/proc"})
	if err != nil {
		t.Fatal(err)
	}
	if o.interval != 30*time.Second || o.agentURL != "http://agent:8080/v1/node-metrics" || !o.diskPartitions {
		t.Errorf("environment not applied: %+v", o)
	}
	if o.topProcs != 3 || o.proc != "/host/proc" {
		t.Errorf("command line should win over the environment: %+v", o)
	}
	if o.node != "node-7" {
		t.Errorf("node %q, want NODE_NAME", o.node)
	}
	cfg, err := o.samplerConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ProcRoot != "/host/proc" || !cfg.FSTypesExclude["overlay"] || !cfg.NetExclude.MatchString("veth12ab") || cfg.NetInclude != nil {
		t.Errorf("sampler config %+v", cfg)
	}
}

func TestBadSettings(t *testing.T) {
	t.Setenv("ATLHYPER_INTERVAL", "soon")
	if _, err := parseFlags(nil); err == nil || !strings.Contains(err.Error(), "ATLHYPER_INTERVAL") {
		t.Errorf("bad duration in the environment: %v", err)
	}
	t.Setenv("ATLHYPER_INTERVAL", "15s")
	o, err := parseFlags([]string{"--net-exclude=("})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.samplerConfig(); err == nil || !strings.Contains(err.Error(), "--net-exclude") {
		t.Errorf("bad regexp: %v", err)
	}
	if err := run([]string{"--agent-url=http://x", "--log-level=loud"}); err == nil {
		t.Error("bad log level accepted")
	}
	t.Setenv("ATLHYPER_INGEST_TOKEN", "")
	if err := run([]string{"--agent-url=http://x"}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("missing token: %v", err)
	}
}

// TestTokens: the node's token from a file, the environment or derived
// from the secret; another node's token is refused at start; "collector
// token" prints the token the agent expects.
func TestTokens(t *testing.T) {
	const secret = "collector-test-ingest-secret-01"
	dir := t.TempDir()
	mine, theirs := nodetoken.Make(secret, "node-a"), nodetoken.Make(secret, "node-b")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	o := &options{node: "node-a", tokenFile: write("tok", mine)}
	if tok, err := token(o); err != nil || tok != mine {
		t.Fatalf("token file: %q %v", tok, err)
	}
	o.tokenFile = write("other", theirs)
	if _, err := token(o); err == nil || !strings.Contains(err.Error(), `node "node-b"`) {
		t.Fatalf("another node's token: %v", err)
	}
	o.tokenFile, o.token = "", mine // --ingest-token, or ATLHYPER_INGEST_TOKEN through internal/cli
	if tok, err := token(o); err != nil || tok != mine {
		t.Fatalf("flag or environment: %q %v", tok, err)
	}
	o.token = ""
	o.secretFile = write("secret", secret)
	if tok, err := token(o); err != nil || tok != mine {
		t.Fatalf("derived: %q %v", tok, err)
	}
	var out bytes.Buffer
	if err := printToken([]string{"--node", "node-b"}, strings.NewReader(secret+"\n"), &out); err != nil || strings.TrimSpace(out.String()) != theirs {
		t.Fatalf("collector token: %q %v", out.String(), err)
	}
	if err := printToken([]string{"--node", "node-b"}, strings.NewReader("short\n"), &out); err == nil {
		t.Fatal("a short secret made a token")
	}
}
