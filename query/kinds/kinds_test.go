package kinds_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// TestRegistry checks what every layer relies on: unique names and
// resources, a lake table that exists, columns and filters that exist in
// that table, display names in every language.
func TestRegistry(t *testing.T) {
	names, resources := map[string]bool{}, map[string]bool{}
	common := columns(t, lake.Objects.Name())[:len(lakeMetaColumns)]
	if !slices.Equal(common, lakeMetaColumns) {
		t.Fatalf("objects table starts with %v, want the common columns %v", common, lakeMetaColumns)
	}
	for _, k := range kinds.All() {
		if k.Name == "" || k.Version == "" || k.Resource == "" || strings.ToLower(k.Resource) != k.Resource {
			t.Errorf("%+v: name, version and a lower-case resource are required", k)
		}
		if names[k.Name] || resources[k.Resource] {
			t.Errorf("%s/%s registered twice", k.Name, k.Resource)
		}
		names[k.Name], resources[k.Resource] = true, true
		if got, ok := kinds.ByName(k.Name); !ok || got.Resource != k.Resource {
			t.Errorf("ByName(%s) = %v, %v", k.Name, got.Resource, ok)
		}
		if got, ok := kinds.ByResource(k.Resource); !ok || got.Name != k.Name {
			t.Errorf("ByResource(%s) = %v, %v", k.Resource, got.Name, ok)
		}
		cols := columns(t, k.Table)
		if k.Table != kinds.TableObjects && k.Columns != nil {
			t.Errorf("%s: Columns are for kinds of the objects table", k.Name)
		}
		for _, c := range k.Columns {
			if !slices.Contains(cols, c) || slices.Contains(lakeMetaColumns, c) {
				t.Errorf("%s: column %q is not a kind-specific column of %s", k.Name, c, k.Table)
			}
		}
		for _, f := range k.Filters {
			want := string(f)
			if f == kinds.FilterOwner {
				want = "owner_kind"
			}
			if !slices.Contains(cols, want) {
				t.Errorf("%s: filter %s needs column %s, which %s lacks", k.Name, f, want, k.Table)
			}
			if k.Table == kinds.TableObjects && f != kinds.FilterOwner && !slices.Contains(k.Columns, want) {
				t.Errorf("%s: filter %s on a column the kind does not fill", k.Name, f)
			}
		}
		if n := k.Names; n.One == "" || n.Many == "" || n.Zh == "" || n.Ja == "" {
			t.Errorf("%s: display names missing: %+v", k.Name, n)
		}
		if !slices.Contains(kinds.Categories, k.Category) {
			t.Errorf("%s: category %q is not one of %v", k.Name, k.Category, kinds.Categories)
		}
		if k.MetadataOnly && len(k.Columns) > 0 {
			t.Errorf("%s: a metadata-only kind has no columns of its own", k.Name)
		}
	}
	var stateful []string
	for _, k := range kinds.Stateful() {
		stateful = append(stateful, k.Name)
		if k.Table == kinds.TableEvents {
			t.Errorf("Stateful returned %s", k.Name)
		}
	}
	if len(stateful) != len(kinds.All())-1 || slices.Contains(stateful, kinds.Event) {
		t.Errorf("Stateful() = %v: every kind but Event", stateful)
	}
	if _, ok := kinds.ByName("Nope"); ok {
		t.Error("ByName found an unknown kind")
	}
}

// lakeMetaColumns are the columns every state table starts with (lake.Meta).
var lakeMetaColumns = []string{"ts", "op", "kind", "namespace", "name", "uid", "resource_version", "created_at", "labels", "owner_kind", "owner_name"}

func columns(t *testing.T, table string) []string {
	t.Helper()
	tbl, ok := lake.Lookup(table)
	if !ok {
		t.Fatalf("no lake table %q", table)
	}
	var out []string
	for _, f := range tbl.Schema().Fields() {
		out = append(out, f.Name)
	}
	return out
}

// TestNoKubernetesInTheAPI: the API functions' binaries link the registry
// and must not link Kubernetes API types (they would cost every Lambda
// cold start).
func TestNoKubernetesInTheAPI(t *testing.T) {
	for _, pkg := range []string{"./functions/cmd/lambda", "./functions/cmd/api", "./functions/cmd/scheduler"} {
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		if !strings.Contains(string(out), "github.com/atlhyper/atlhyper/query/kinds") && pkg == "./functions/cmd/lambda" {
			t.Errorf("%s does not link query/kinds: this test no longer guards anything", pkg)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "k8s.io/") || strings.HasPrefix(dep, "sigs.k8s.io/") {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}
