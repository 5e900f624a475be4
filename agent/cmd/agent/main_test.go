package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/agent/ingest"
	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/query/lake"
)

// TestDocsFlagTable keeps docs/agent.md's flag table equal to the flags:
// every flag documented with its ATLHYPER_ variable and its default.
func TestDocsFlagTable(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/agent.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)` \\| `([A-Z_]+)` \\| ([^|]+) \\|")
	documented := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = [2]string{m[2], strings.TrimSpace(m[3])}
	}
	fs := newFlagSet(&options{})
	fs.VisitAll(func(f *flag.Flag) {
		d, ok := documented[f.Name]
		if !ok {
			t.Errorf("--%s is not in docs/agent.md's flag table", f.Name)
			return
		}
		delete(documented, f.Name)
		if want := "ATLHYPER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")); d[0] != want {
			t.Errorf("--%s documented with %s, reads %s", f.Name, d[0], want)
		}
		if def, quoted := strings.CutPrefix(d[1], "`"); quoted && f.DefValue != "" && f.Name != "instance" {
			def = strings.TrimSuffix(def, "`")
			if dd, err := time.ParseDuration(def); err == nil {
				def = dd.String()
			}
			if def != f.DefValue {
				t.Errorf("--%s documented default %s, is %s", f.Name, def, f.DefValue)
			}
		}
	})
	for name := range documented {
		t.Errorf("docs/agent.md documents --%s, which the agent does not have", name)
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("ATLHYPER_STORE", "file:///tmp/lake")
	t.Setenv("ATLHYPER_LOG_TAIL_LINES", "0")
	t.Setenv("ATLHYPER_FLUSH_AGE", "2m")
	o, err := parseFlags([]string{"--flush-age=30s"})
	if err != nil {
		t.Fatal(err)
	}
	if o.store != "file:///tmp/lake" || o.logTailLines != 0 {
		t.Errorf("environment not applied: %+v", o)
	}
	if o.flushAge != 30*time.Second {
		t.Errorf("flush age %v: the command line should win over the environment", o.flushAge)
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--store"},
		{[]string{"--store=file:///x", "--log-tail-lines=-1"}, "--log-tail-lines"},
		{[]string{"--store=file:///x", "--flush-age=soon"}, "flush-age"},
		{[]string{"--store=file:///x", "--log-tail-max-bytes=lots"}, "--log-tail-max-bytes"},
		{[]string{"--store=file:///x", "--spool-max-bytes=-1"}, "--spool-max-bytes"},
		{[]string{"--store=file:///x", "--command-public-keys=k1"}, "--command-public-keys"},
		{[]string{"--store=file:///x", "--command-public-keys=k1=c2hvcnQ="}, "--command-public-keys"},
		{[]string{"--store=file:///x", "--allow-actions=pod.logs,pod.explode"}, "--allow-actions"},
	} {
		t.Setenv("ATLHYPER_STORE", "")
		os.Unsetenv("ATLHYPER_STORE")
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}

// TestListenersSeparate: the agent's own endpoints and the collectors'
// ingest answer on different listeners, each only its own routes.
func TestListenersSeparate(t *testing.T) {
	if _, err := parseFlags([]string{"--store=file:///x", "--listen=:9000", "--metrics-listen=:9000"}); err == nil {
		t.Fatal("one address for both accepted")
	}
	own := http.NewServeMux()
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/debug/pprof/"} {
		own.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "own") })
	}
	const secret = "agent-test-ingest-secret-01234"
	ingestH, err := ingest.New(ingest.Config{Secret: secret, Sink: func(context.Context, []lake.NodeMetric) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	o := &options{listen: "127.0.0.1:0", metricsListen: "127.0.0.1:0"}
	servers, addrs, err := listeners(o, own, ingestH)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		go s.Serve(s.ln)
		defer s.Close()
	}
	status := func(method, url string) int {
		req, _ := http.NewRequest(method, url, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+nodetoken.Make(secret, "n1"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	metricsURL, ingestURL := "http://"+addrs[0], "http://"+addrs[1]
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/debug/pprof/"} {
		if st := status("GET", metricsURL+p); st != 200 {
			t.Errorf("metrics listener %s: %d", p, st)
		}
		if st := status("GET", ingestURL+p); st != 404 {
			t.Errorf("ingest listener %s: %d, want 404", p, st)
		}
	}
	if st := status("POST", metricsURL+"/v1/node-metrics"); st != 404 && st != 405 {
		t.Errorf("ingest on the metrics listener: %d", st)
	}
	if st := status("POST", ingestURL+"/v1/node-metrics"); st != 422 && st != 400 {
		t.Errorf("ingest listener: %d, want the push checked", st)
	}
	// Without an ingest secret nothing listens on --listen.
	servers2, addrs2, err := listeners(&options{listen: "127.0.0.1:0", metricsListen: "127.0.0.1:0"}, own, nil)
	if err != nil || len(servers2) != 1 || addrs2[1] != "" {
		t.Fatalf("no ingest: %d servers, %v %v", len(servers2), addrs2, err)
	}
	servers2[0].ln.Close()
}
