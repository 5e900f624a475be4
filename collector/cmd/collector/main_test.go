package main

import (
	"strings"
	"testing"
	"time"
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
