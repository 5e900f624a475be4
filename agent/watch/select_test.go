package watch_test

import (
	"slices"
	"testing"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch"
)

func TestSelect(t *testing.T) {
	names := func(names []string) ([]string, map[string]string) {
		t.Helper()
		want, left, err := watch.Select(names)
		if err != nil {
			t.Fatal(err)
		}
		var w []string
		for _, b := range want {
			w = append(w, b.Name)
		}
		l := map[string]string{}
		for _, s := range left {
			l[s.Kind] = s.Reason
		}
		if len(w)+len(l) != len(rows.Bindings) {
			t.Fatalf("%v: %d chosen + %d left out != %d kinds", names, len(w), len(l), len(rows.Bindings))
		}
		return w, l
	}
	all, left := names(nil)
	for i := range rows.Bindings {
		b := &rows.Bindings[i]
		if slices.Contains(all, b.Name) == b.OptIn {
			t.Errorf("default set: %s chosen=%v, opt-in=%v", b.Name, slices.Contains(all, b.Name), b.OptIn)
		}
		if b.OptIn && left[b.Name] != "opt-in: collected with --kinds +"+b.Name {
			t.Errorf("%s: reason %q", b.Name, left[b.Name])
		}
	}
	w, l := names([]string{"Pod", "Node"})
	if !slices.Equal(w, []string{"Pod", "Node"}) || l["Secret"] != "not in --kinds" {
		t.Errorf("plain names: %v %v", w, l)
	}
	w, l = names([]string{"-Secret", "-ConfigMap"})
	if len(w) != len(all)-2 || slices.Contains(w, "Secret") || l["Secret"] != "left out by --kinds -Secret" {
		t.Errorf("removals: %v %v", w, l)
	}
	for _, bad := range [][]string{{"Nope"}, {"-Nope"}, {"Pod", "-Secret"}} {
		if _, _, err := watch.Select(bad); err == nil {
			t.Errorf("Select(%v) accepted", bad)
		}
	}
}
