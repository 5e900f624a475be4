package lake

import (
	"context"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

// TestListTable: one paged listing of a table's cluster prefix from a
// day on — earlier days, other clusters and stray keys left out.
func TestListTable(t *testing.T) {
	ctx := context.Background()
	fb, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	put := func(k ObjectKey) {
		t.Helper()
		if _, err := fb.Put(ctx, k.Key(), []byte("x"), store.IfAbsent); err != nil {
			t.Fatal(err)
		}
	}
	perDay := map[int]int{0: 3, 1: 1001, 2: 4} // day 1 spans two pages
	for d, n := range perDay {
		for i := 0; i < n; i++ {
			put(ObjectKey{Table: "pods", Cluster: "a", Date: day0.AddDate(0, 0, d), Span: HourSpan(i % 24), Writer: "agent", ID: NewULID(day0)})
		}
	}
	put(ObjectKey{Table: "pods", Cluster: "ab", Date: day0.AddDate(0, 0, 1), Span: "01", Writer: "agent", ID: NewULID(day0)})
	put(ObjectKey{Table: "nodes", Cluster: "a", Date: day0.AddDate(0, 0, 1), Span: "01", Writer: "agent", ID: NewULID(day0)})
	if _, err := fb.Put(ctx, "pods/cluster=a/date=2026-11-21/notes.txt", []byte("x"), store.IfAbsent); err != nil {
		t.Fatal(err)
	}
	m := store.NewMetered(fb)
	objs, err := ListTable(ctx, m, "pods", "a", day0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != perDay[1]+perDay[2] || m.Requests().List != 2 {
		t.Fatalf("from day 1: %d objects in %d LISTs, want %d in 2", len(objs), m.Requests().List, perDay[1]+perDay[2])
	}
	for i, o := range objs {
		if o.Table != "pods" || o.Cluster != "a" || o.Date.Before(day0.AddDate(0, 0, 1)) || (i > 0 && objs[i-1].Info.Key >= o.Info.Key) {
			t.Fatalf("object %d: %s", i, o.Info.Key)
		}
	}
	if all, err := ListTable(ctx, fb, "pods", "a", time.Time{}); err != nil || len(all) != perDay[0]+perDay[1]+perDay[2] {
		t.Fatalf("every day: %d objects, %v", len(all), err)
	}
}
