package api

import (
	"net/url"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/lakeview"
)

var fuzzNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "now", "-15m", "-24h", "-7d", "7d", "-1d12h", "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123+02:00",
		"-9999999999h", "-3651d", "0001-01-01T00:00:00Z", "yesterday", "-", "d", "-1e9d", "\x00", "-5m30s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime("at", s, fuzzNow)
		if err == nil && (tm.Year() < 1990 || tm.Year() > 9999) {
			t.Fatalf("%q -> %v", s, tm)
		}
		if err != nil && (err.Status != 400 || err.Field != "at") {
			t.Fatalf("%q: %+v", s, err)
		}
	})
}

func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{"", "limit=10", "limit=-1", "limit=99999999999999999999", "from=-1h&to=-2h", "from=-100d", "namespace=a,b,,c",
		"namespace=" + string(make([]byte, 5000)), "phase=Running,Pending", "ready=maybe", "owner=ReplicaSet/x", "owner=/", "sort=-restarts",
		"sort=--x", "step=1m", "step=0s", "q=%00", "q=%ff%fe", "label=a%20in%20(b,c)", "cursor=abc", "metric=cpu.user_pct&device=cpu0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if _, _, e := timeRange(q, fuzzNow, 24*time.Hour, 31*24*time.Hour); e != nil && e.Status != 400 {
			t.Fatal(e)
		}
		parseLimit(q, 100, 1000)
		parseList(q, "namespace", 50, validNamespace)
		parseBool(q, "ready")
		parseText(q, "q")
		parseOwner(q.Get("owner"))
		parseSort(q.Get("sort"))
		parseStep(q.Get("step"), time.Minute)
		lakeview.ParseSelector(q.Get("label"))
		kindsParam(q, "kind")
	})
}

func FuzzSelector(f *testing.F) {
	for _, s := range []string{"app=web", "app!=web,tier", "!canary", "env in (prod, staging)", "env notin (dev)", "a==b", "k8s.io/name=x",
		"a in b", "(", ")", "a in ()", ",,", "a=b=c", "a in (b,c", "=", "!", strings300()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := lakeview.ParseSelector(s)
		if err == nil {
			sel.Matches(map[string]string{"app": "web", "env": "prod"})
		}
	})
}

func strings300() string {
	b := make([]byte, 300)
	for i := range b {
		b[i] = "a,=!()"[i%6]
	}
	return string(b)
}
