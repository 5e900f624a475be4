package kinds_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

var update = flag.Bool("update", false, "rewrite the files generated from the registry")

const regen = "go test ./query/kinds -run TestGenerated -update"

// TestGenerated keeps every file derived from the registry current: the
// OpenAPI document's per-kind paths and state schemas, the web's kind
// module and kind names, the agent's RBAC and kinds table, the lake's
// kinds table. -update rewrites them.
func TestGenerated(t *testing.T) {
	root := filepath.Join("..", "..")
	type region struct{ begin, end, body string }
	files := []struct {
		path    string
		whole   string   // the whole file, or
		regions []region // parts between markers
	}{
		{path: "functions/api/openapi.yaml", regions: []region{
			{"  # BEGIN GENERATED kinds: " + regen + "\n", "  # END GENERATED kinds\n", openAPIPaths()},
			{"    # BEGIN GENERATED state schemas: " + regen + "\n", "    # END GENERATED state schemas\n", openAPISchemas(t)},
		}},
		{path: "web/src/lib/k8s/kinds.gen.ts", whole: webModule()},
		{path: "web/src/lib/k8s/locales/en.json", whole: webNames(func(n kinds.Names) [2]string { return [2]string{n.One, n.Many} })},
		{path: "web/src/lib/k8s/locales/zh.json", whole: webNames(func(n kinds.Names) [2]string { return [2]string{n.Zh, n.Zh} })},
		{path: "web/src/lib/k8s/locales/ja.json", whole: webNames(func(n kinds.Names) [2]string { return [2]string{n.Ja, n.Ja} })},
		{path: "docs/agent.md", regions: []region{
			{"<!-- BEGIN GENERATED kinds: " + regen + " -->\n", "<!-- END GENERATED kinds -->\n", agentKinds()},
			{"# BEGIN GENERATED rules: " + regen + "\n", "# END GENERATED rules\n", agentRBAC()},
		}},
		{path: "docs/lake.md", regions: []region{
			{"<!-- BEGIN GENERATED kinds: " + regen + " -->\n", "<!-- END GENERATED kinds -->\n", lakeKinds()},
		}},
	}
	for _, f := range files {
		path := filepath.Join(root, f.path)
		old, err := os.ReadFile(path)
		if err != nil && f.whole == "" {
			t.Fatal(err)
		}
		want := f.whole
		if want == "" {
			want = string(old)
			for _, r := range f.regions {
				i, j := strings.Index(want, r.begin), strings.Index(want, r.end)
				if i < 0 || j < i {
					t.Fatalf("%s: markers %q … %q missing", f.path, strings.TrimSpace(r.begin), strings.TrimSpace(r.end))
				}
				want = want[:i+len(r.begin)] + r.body + want[j:]
			}
		}
		if string(old) == want {
			continue
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", f.path)
			continue
		}
		t.Errorf("%s is not current: run %s", f.path, regen)
	}
}

// --- OpenAPI

func opName(prefix string, k kinds.Kind, many bool) string {
	n := k.Names.One
	if many {
		n = k.Names.Many
	}
	return prefix + strings.ReplaceAll(n, " ", "")
}

// schemaOf names the component schema of a state table's rows.
var schemaOf = map[string]string{kinds.TablePods: "Pod", kinds.TableNodes: "Node", kinds.TableWorkloads: "Workload", kinds.TableObjects: "Object"}

var filterParam = map[kinds.Filter]string{kinds.FilterNode: "Node", kinds.FilterPhase: "Phase", kinds.FilterReady: "Ready", kinds.FilterOwner: "Owner"}

const errorResponses = `        '400':
          $ref: '#/components/responses/BadRequest'
        '401':
          $ref: '#/components/responses/Unauthorized'
        '403':
          $ref: '#/components/responses/Forbidden'
        '404':
          $ref: '#/components/responses/NotFound'
        '429':
          $ref: '#/components/responses/RateLimited'
        '500':
          $ref: '#/components/responses/Internal'
        '503':
          $ref: '#/components/responses/Unavailable'
`

func openAPIPaths() string {
	var b strings.Builder
	ref := func(p string) { fmt.Fprintf(&b, "      - $ref: '#/components/parameters/%s'\n", p) }
	for _, k := range kinds.Stateful() {
		schema := schemaOf[k.Table]
		fmt.Fprintf(&b, "  /api/v1/clusters/{cluster}/%s:\n    get:\n      tags:\n      - Resources\n", k.Resource)
		fmt.Fprintf(&b, "      operationId: %s\n", opName("list", k, true))
		fmt.Fprintf(&b, "      summary: List %s objects (latest state, or the state at `at`).\n", k.Name)
		b.WriteString("      description: State = latest checkpoint at or before the time plus the changes since, latest row per uid, deletions dropped.\n")
		b.WriteString("        Sorted, keyset-paginated. `collected` false means the cluster's agent does not collect the kind (`not_collected_reason`\n")
		b.WriteString("        says why), not that there are none.\n")
		b.WriteString("      x-atlhyper-role: viewer\n      parameters:\n")
		ref("Cluster")
		if k.Namespaced {
			ref("Namespace")
		}
		for _, p := range []string{"LabelSelector", "Q", "Sort", "Limit", "Cursor", "At"} {
			ref(p)
		}
		for _, f := range k.Filters {
			ref(filterParam[f])
		}
		fmt.Fprintf(&b, `      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                allOf:
                - $ref: '#/components/schemas/ListMeta'
                - type: object
                  properties:
                    items:
                      type: array
                      items:
                        $ref: '#/components/schemas/%s'
                  required:
                  - items
`, schema)
		b.WriteString(errorResponses)
		if k.Namespaced {
			fmt.Fprintf(&b, "  /api/v1/clusters/{cluster}/%s/{namespace}/{name}:\n", k.Resource)
		} else {
			fmt.Fprintf(&b, "  /api/v1/clusters/{cluster}/%s/{name}:\n", k.Resource)
		}
		b.WriteString("    get:\n      tags:\n      - Resources\n")
		fmt.Fprintf(&b, "      operationId: %s\n", opName("get", k, false))
		fmt.Fprintf(&b, "      summary: 'One %s: typed state, stripped object, its open anomalies and recent events.'\n", k.Name)
		b.WriteString("      description: The object as it was at `at` (default now). `detail` is the stripped Kubernetes object (managedFields removed, literal env\n")
		b.WriteString("        values replaced by a marker, Secret/ConfigMap data never present).\n")
		b.WriteString("      x-atlhyper-role: viewer\n      parameters:\n")
		ref("Cluster")
		if k.Namespaced {
			ref("NamespacePath")
		}
		for _, p := range []string{"NamePath", "At", "UID"} {
			ref(p)
		}
		fmt.Fprintf(&b, `      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                allOf:
                - $ref: '#/components/schemas/ObjectDetail'
                - type: object
                  properties:
                    object:
                      $ref: '#/components/schemas/%s'
`, schema)
		b.WriteString(errorResponses)
	}
	return b.String()
}

var schemaDoc = map[string]string{
	kinds.TablePods:      "A pod's state (typed lake columns).",
	kinds.TableNodes:     "A node's state.",
	kinds.TableWorkloads: "Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob state; fields that do not apply to the kind are absent.",
	kinds.TableObjects:   "State of every other kind; fields that do not apply to the kind are absent (docs/lake.md lists which kind fills which).",
}

// openAPISchemas renders the state tables' rows as the API returns them:
// the cluster, then every column but op.
func openAPISchemas(t *testing.T) string {
	var b strings.Builder
	for _, table := range kinds.StateTables {
		tbl, ok := lake.Lookup(table)
		if !ok {
			t.Fatalf("no lake table %s", table)
		}
		fmt.Fprintf(&b, "    %s:\n      type: object\n      description: %s\n      properties:\n", schemaOf[table], schemaDoc[table])
		b.WriteString("        cluster:\n          type: string\n          description: Cluster id.\n")
		for _, f := range tbl.Schema().Fields() {
			if f.Name == "op" {
				continue
			}
			fmt.Fprintf(&b, "        %s:\n", f.Name)
			writeType(&b, f.Type, "          ")
			if f.Name == "ts" {
				b.WriteString("          description: Time of the lake row this state comes from (the last change, or the checkpoint).\n")
			}
		}
		b.WriteString("      required:\n      - cluster\n      - kind\n      - name\n      - uid\n      - ts\n")
	}
	return b.String()
}

func writeType(b *strings.Builder, dt arrow.DataType, ind string) {
	switch dt := dt.(type) {
	case *arrow.StringType:
		b.WriteString(ind + "type: string\n")
	case *arrow.BooleanType:
		b.WriteString(ind + "type: boolean\n")
	case *arrow.Int32Type:
		b.WriteString(ind + "type: integer\n" + ind + "format: int32\n")
	case *arrow.Int64Type:
		b.WriteString(ind + "type: integer\n" + ind + "format: int64\n")
	case *arrow.Float32Type, *arrow.Float64Type:
		b.WriteString(ind + "type: number\n")
	case *arrow.TimestampType:
		b.WriteString(ind + "type: string\n" + ind + "format: date-time\n")
	case *arrow.ListType:
		b.WriteString(ind + "type: array\n" + ind + "items:\n")
		writeType(b, dt.Elem(), ind+"  ")
	case *arrow.MapType:
		b.WriteString(ind + "type: object\n" + ind + "additionalProperties:\n")
		writeType(b, dt.ItemType(), ind+"  ")
	case *arrow.StructType:
		b.WriteString(ind + "type: object\n" + ind + "properties:\n")
		for _, f := range dt.Fields() {
			fmt.Fprintf(b, "%s  %s:\n", ind, f.Name)
			writeType(b, f.Type, ind+"    ")
		}
	default:
		panic(fmt.Sprintf("no OpenAPI type for %s", dt))
	}
}

// --- web

func webModule() string {
	js := func(v any) string { d, _ := json.Marshal(v); return strings.ReplaceAll(string(d), `"`, "'") }
	var b strings.Builder
	b.WriteString("// Code generated by " + regen + " from query/kinds. DO NOT EDIT.\n")
	b.WriteString(`import type { OperationId } from '../api/schema.gen';

/** A lake table holding object state. */
export type KindTable = 'pods' | 'nodes' | 'workloads' | 'objects';
/** A list filter of the API beyond namespace, label, text, sort and time. */
export type KindFilter = 'node' | 'phase' | 'ready' | 'owner';
`)
	fmt.Fprintf(&b, "/** The dashboard's navigation groups, in order. */\nexport const KIND_CATEGORIES = %s as const;\nexport type KindCategory = (typeof KIND_CATEGORIES)[number];\n", js(append([]kinds.Category{}, kinds.Categories...)))
	b.WriteString(`
// Every kind the API lists and details, keyed by its resource path name
// (the API's URL segment and the time-travel ` + "`kind`" + ` parameter).
export interface KindInfo {
  resource: string;
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  list: OperationId;
  get: OperationId;
  /** Which lake table holds its typed columns. */
  table: KindTable;
  /** Columns of the objects table the kind fills; null: any column of its table. */
  columns: readonly string[] | null;
  filters: readonly KindFilter[];
  /** From a CRD that may not be installed. */
  optional: boolean;
  /** Collected only when the agent is told to. */
  optIn: boolean;
  /** Only metadata is collected (ConfigMap, Secret). */
  metadataOnly: boolean;
  /** Remote operations allowed on it. */
  operations: readonly string[];
  /** The navigation group the dashboard lists it under. */
  category: KindCategory;
}

export const KINDS: readonly KindInfo[] = [
`)
	for _, k := range kinds.Stateful() {
		cols := "null"
		if k.Table == kinds.TableObjects {
			cols = js(append([]string{}, k.Columns...))
		}
		fmt.Fprintf(&b, "  { resource: %s, kind: %s, apiVersion: %s, namespaced: %t, list: %s, get: %s, table: %s, columns: %s, filters: %s, optional: %t, optIn: %t, metadataOnly: %t, operations: %s, category: %s },\n",
			js(k.Resource), js(k.Name), js(k.APIVersion()), k.Namespaced, js(opName("list", k, true)), js(opName("get", k, false)), js(k.Table),
			cols, js(append([]kinds.Filter{}, k.Filters...)), k.Optional, k.OptIn, k.MetadataOnly, js(append([]kinds.Operation{}, k.Operations...)), js(k.Category))
	}
	b.WriteString("];\n")
	return b.String()
}

// webNames renders a language's kind names, the "k8s" i18n namespace:
// kind.<Kind> singular, kinds.<Kind> plural.
func webNames(pick func(kinds.Names) [2]string) string {
	one, many := map[string]string{}, map[string]string{}
	for _, k := range kinds.All() {
		n := pick(k.Names)
		one[k.Name], many[k.Name] = n[0], n[1]
	}
	d, _ := json.MarshalIndent(map[string]any{"kind": one, "kinds": many}, "", "  ")
	return string(d) + "\n"
}

// --- docs

func agentKinds() string {
	var b strings.Builder
	b.WriteString("| kind | API | table | notes |\n|---|---|---|---|\n")
	for _, k := range kinds.All() {
		var notes []string
		if k.MetadataOnly {
			notes = append(notes, "**metadata only** (`PartialObjectMetadata`)")
		}
		if k.Optional {
			notes = append(notes, "CRD: skipped quietly when not installed")
		}
		if k.OptIn {
			notes = append(notes, "opt-in (`--kinds +"+k.Name+"`)")
		}
		if !k.Namespaced {
			notes = append(notes, "cluster-scoped")
		}
		fmt.Fprintf(&b, "| `%s` | `%s %s` | `%s` | %s |\n", k.Name, k.APIVersion(), k.Resource, k.Table, strings.Join(notes, "; "))
	}
	return b.String()
}

func agentRBAC() string {
	var groups []string
	byGroup := map[string][]string{}
	for _, k := range kinds.All() {
		if byGroup[k.Group] == nil {
			groups = append(groups, k.Group)
		}
		byGroup[k.Group] = append(byGroup[k.Group], k.Resource)
	}
	var b strings.Builder
	for _, g := range groups {
		name := g
		if g == "" {
			name = `""`
		}
		fmt.Fprintf(&b, "- {apiGroups: [%s], resources: [%s], verbs: [list, watch]}\n", name, strings.Join(byGroup[g], ", "))
	}
	return b.String()
}

func lakeKinds() string {
	var b strings.Builder
	b.WriteString("| kind | table | columns it fills (objects table) |\n|---|---|---|\n")
	for _, k := range kinds.All() {
		cols := "all of its table"
		switch {
		case k.Table == kinds.TableEvents:
			cols = "(its own table)"
		case k.Table == kinds.TableObjects && len(k.Columns) == 0:
			cols = "the common ones only"
		case k.Table == kinds.TableObjects:
			cols = "`" + strings.Join(k.Columns, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", k.Name, k.Table, cols)
	}
	return b.String()
}
