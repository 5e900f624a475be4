package lake

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// SQLType renders an Arrow type as DuckDB prints it in DESCRIBE, which is
// the type users of the lake see.
func SQLType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.StringType:
		return "VARCHAR"
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Int8Type:
		return "TINYINT"
	case *arrow.Int16Type:
		return "SMALLINT"
	case *arrow.Int32Type:
		return "INTEGER"
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Float32Type:
		return "FLOAT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.TimestampType:
		return "TIMESTAMP"
	case *arrow.ListType:
		return SQLType(t.Elem()) + "[]"
	case *arrow.MapType:
		return fmt.Sprintf("MAP(%s, %s)", SQLType(t.KeyType()), SQLType(t.ItemType()))
	case *arrow.StructType:
		parts := make([]string, t.NumFields())
		for i, f := range t.Fields() {
			parts[i] = fmt.Sprintf("%s %s", f.Name, SQLType(f.Type))
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return t.String()
}

// ColumnsMarkdown documents every table's columns; docs/lake.md embeds it
// (a test keeps the two equal).
func ColumnsMarkdown() string {
	var b strings.Builder
	for _, t := range All() {
		fmt.Fprintf(&b, "### `%s` (schema v%d)\n\n%s Sorted by %s. Default retention %d days.\n\n",
			t.Name(), t.Version(), t.Doc(), "`"+strings.Join(t.SortKey(), "`, `")+"`", t.DefaultRetentionDays())
		b.WriteString("| column | type | null |\n|---|---|---|\n")
		for _, f := range t.Schema().Fields() {
			null := ""
			if f.Nullable {
				null = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", f.Name, SQLType(f.Type), null)
		}
		b.WriteString("| `cluster` | `VARCHAR` | (hive) |\n| `date` | `DATE` | (hive) |\n\n")
	}
	return b.String()
}
