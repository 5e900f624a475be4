package helm_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/google/go-containerregistry/pkg/registry"
	"sigs.k8s.io/yaml"
)

// chartVersion reads the chart's version from Chart.yaml.
func chartVersion(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Version string }
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c.Version
}

// previousChart is the package of the chart's previous release, kept in
// testdata (docs/install.md, Releasing the chart). Until a second version
// exists it is the first, 0.1.0, packaged from this tree: the upgrade then
// proves an upgrade in place onto the working tree's chart.
func previousChart(t testing.TB) (path, version string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join("testdata", "atlhyper-*.tgz"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("want exactly one previous chart package testdata/atlhyper-<version>.tgz, found %v (%v)", matches, err)
	}
	version = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(matches[0]), "atlhyper-"), ".tgz")
	if cur := chartVersion(t); newer(version, cur) {
		t.Fatalf("previous chart %s is newer than Chart.yaml's %s", version, cur)
	}
	return matches[0], version
}

// TestUpgrade installs the previous chart release into the API server and
// upgrades it to this tree's chart, as `helm upgrade` does for a user.
func TestUpgrade(t *testing.T) {
	c := apiServer(t)
	kc := kubeconfig(t, c.cfg)
	prev, prevVersion := previousChart(t)
	ns, values := valueSet(t, "s3-irsa")
	ns = "upgrade-" + ns
	vf := valuesFile(t, values)
	out := mustHelm(t, "install", "upgrade", prev, "--kubeconfig", kc, "--namespace", ns, "--create-namespace", "-f", vf)
	// NOTES.txt tells what to do next.
	if !strings.Contains(out, "kubectl -n "+ns+" rollout status deploy/upgrade-atlhyper-agent") {
		t.Errorf("helm install printed no next steps:\n%s", out)
	}
	mustHelm(t, "upgrade", "upgrade", chartDir, "--kubeconfig", kc, "--namespace", ns, "-f", vf)
	out = mustHelm(t, "history", "upgrade", "--kubeconfig", kc, "--namespace", ns, "-o", "json")
	var hist []struct {
		Revision int
		Status   string
		Chart    string
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatalf("helm history: %v\n%s", err, out)
	}
	if len(hist) != 2 || hist[0].Chart != "atlhyper-"+prevVersion || hist[1].Status != "deployed" ||
		hist[1].Chart != "atlhyper-"+chartVersion(t) {
		t.Errorf("history after the upgrade: %+v", hist)
	}
	// The upgraded objects are there: the agent's Deployment and its role.
	if _, err := c.kube.AppsV1().Deployments(ns).Get(t.Context(), "upgrade-atlhyper-agent", metav1GetOptions); err != nil {
		t.Error(err)
	}
	mustHelm(t, "uninstall", "upgrade", "--kubeconfig", kc, "--namespace", ns, "--wait=false")
	if _, err := c.kube.RbacV1().ClusterRoles().Get(t.Context(), "upgrade-atlhyper-agent", metav1GetOptions); err == nil {
		t.Error("the agent's ClusterRole outlived helm uninstall")
	}
}

// TestOCI packages the chart, pushes it to an OCI registry (in-process,
// plain HTTP) with helm push and pulls it back, byte for byte.
func TestOCI(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	dir := t.TempDir()
	mustHelm(t, "package", chartDir, "--destination", dir)
	pkg := filepath.Join(dir, "atlhyper-"+chartVersion(t)+".tgz")
	sent, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	out := mustHelm(t, "push", pkg, "oci://"+host+"/charts", "--plain-http")
	_ = out
	pulled := t.TempDir()
	mustHelm(t, "pull", "oci://"+host+"/charts/atlhyper", "--version", chartVersion(t), "--plain-http", "--destination", pulled)
	got, err := os.ReadFile(filepath.Join(pulled, "atlhyper-"+chartVersion(t)+".tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		t.Errorf("pulled package (%d bytes) differs from the pushed one (%d bytes)", len(got), len(sent))
	}
	show := mustHelm(t, "show", "chart", "oci://"+host+"/charts/atlhyper", "--version", chartVersion(t), "--plain-http")
	if !strings.Contains(show, "name: atlhyper") || !strings.Contains(show, "version: "+chartVersion(t)) {
		t.Errorf("helm show chart:\n%s", show)
	}
}

var metav1GetOptions = metav1.GetOptions{}

// newer reports whether version a (x.y.z) is above b.
func newer(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x > y
		}
	}
	return false
}
