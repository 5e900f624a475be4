package api

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atlhyper/atlhyper/functions/lakeview"
)

// Parameter parsing. Every function here takes untrusted text and returns
// a value or an *apiError naming the parameter; none may panic (fuzzed).

var (
	dnsLabelRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
	// Object names are DNS subdomains for most kinds; a few kinds (and
	// events) allow more, so names are checked for a safe alphabet.
	nameRE        = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._:@-]{0,251}[A-Za-z0-9])?$`)
	uidRE         = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)
	fingerprintRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	metricRE      = regexp.MustCompile(`^[a-z0-9_.:-]{1,100}$`)
	deviceRE      = regexp.MustCompile(`^[A-Za-z0-9_./:@-]{1,128}$`)
	sortRE        = regexp.MustCompile(`^[a-z_]{1,64}$`)
	tokenRE       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,99}$`) // reasons, rules, kinds, actions
)

// parseTime reads an RFC 3339 time, "now", or a relative duration before
// now: -15m, -24h, -7d (also 15m, meaning the same).
func parseTime(field, s string, now time.Time) (time.Time, *apiError) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, badParam(field, "%s: want an RFC 3339 time or a relative duration like -24h", field)
	}
	if s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if t.Year() < 2000 || t.Year() > 9999 {
			return time.Time{}, badParam(field, "%s: time out of range", field)
		}
		return t.UTC(), nil
	}
	d, err := parseDuration(strings.TrimPrefix(s, "-"))
	if err != nil || d < 0 || d > 10*365*24*time.Hour {
		return time.Time{}, badParam(field, "%s: %q is neither an RFC 3339 time nor a relative duration like -24h", field, clipStr(s))
	}
	return now.Add(-d).UTC(), nil
}

// parseDuration is time.ParseDuration plus a day unit ("7d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 || days > 3650 {
			return 0, strconv.ErrSyntax
		}
		rest := time.Duration(0)
		if i+1 < len(s) {
			if rest, err = time.ParseDuration(s[i+1:]); err != nil {
				return 0, err
			}
		}
		return time.Duration(days)*24*time.Hour + rest, nil
	}
	return time.ParseDuration(s)
}

func clipStr(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	return s
}

// timeRange reads from/to with defaults (to = now, from = to - def) and a
// maximum span.
func timeRange(q url.Values, now time.Time, def, maxSpan time.Duration) (time.Time, time.Time, *apiError) {
	to := now
	var err *apiError
	if s := q.Get("to"); s != "" {
		if to, err = parseTime("to", s, now); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	from := to.Add(-def)
	if s := q.Get("from"); s != "" {
		if from, err = parseTime("from", s, now); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, badParam("from", "from must be before to")
	}
	if to.Sub(from) > maxSpan {
		return time.Time{}, time.Time{}, badParam("from", "the range may span at most %s", human(maxSpan))
	}
	return from, to, nil
}

func human(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}

// parseLimit reads limit (1..max, default def).
func parseLimit(q url.Values, def, max int) (int, *apiError) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, badParam("limit", "limit must be an integer from 1 to %d", max)
	}
	return n, nil
}

// parseList reads a comma-separated list (at most max items), each
// checked by valid.
func parseList(q url.Values, field string, max int, valid func(string) bool) ([]string, *apiError) {
	raw := q[field]
	if len(raw) == 0 {
		return nil, nil
	}
	var out []string
	for _, r := range raw {
		if len(r) > 4096 {
			return nil, badParam(field, "%s is too long", field)
		}
		for _, v := range strings.Split(r, ",") {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if !valid(v) {
				return nil, badParam(field, "%s: invalid value %q", field, clipStr(v))
			}
			out = append(out, v)
		}
	}
	if len(out) > max {
		return nil, badParam(field, "%s: at most %d values", field, max)
	}
	return out, nil
}

// parseBool reads true/false (empty: nil).
func parseBool(q url.Values, field string) (*bool, *apiError) {
	s := q.Get(field)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, badParam(field, "%s must be true or false", field)
	}
	return &b, nil
}

// parseOne reads a single optional value checked by re.
// listFilter is a record list's parameter naming values of the column of
// the same name (comma-separated or repeated, at most max, each valid).
type listFilter struct {
	field string
	max   int
	valid func(string) bool
}

// whereIn filters rq to the values each given filter names.
func whereIn(q url.Values, rq *lakeview.RecordQuery, filters ...listFilter) *apiError {
	for _, f := range filters {
		vals, perr := parseList(q, f.field, f.max, f.valid)
		if perr != nil {
			return perr
		}
		if len(vals) > 0 {
			rq.Where = append(rq.Where, lakeview.In(f.field, vals))
		}
	}
	return nil
}

func parseOne(q url.Values, field string, re *regexp.Regexp) (string, *apiError) {
	s := q.Get(field)
	if s == "" {
		return "", nil
	}
	if len(s) > 253 || !re.MatchString(s) {
		return "", badParam(field, "%s: invalid value %q", field, clipStr(s))
	}
	return s, nil
}

// parseText reads free text (at most 256 bytes, valid UTF-8, no controls).
func parseText(q url.Values, field string) (string, *apiError) {
	s := strings.TrimSpace(q.Get(field))
	if len(s) > 256 || !utf8.ValidString(s) {
		return "", badParam(field, "%s must be valid UTF-8 of at most 256 bytes", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", badParam(field, "%s must not contain control characters", field)
		}
	}
	return s, nil
}

// parseStep reads a step duration, at least min.
func parseStep(s string, min time.Duration) (time.Duration, *apiError) {
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		return 0, badParam("step", "step must be a duration like 5m")
	}
	if d < min {
		return 0, badParam("step", "step must be at least %s for this range", min)
	}
	if d > 7*24*time.Hour {
		return 0, badParam("step", "step must be at most 7 days")
	}
	return d, nil
}

// parseOwner reads Kind/name.
func parseOwner(s string) (string, string, *apiError) {
	if s == "" {
		return "", "", nil
	}
	k, n, ok := strings.Cut(s, "/")
	if !ok || !tokenRE.MatchString(k) || !nameRE.MatchString(n) {
		return "", "", badParam("owner", "owner must be Kind/name, e.g. ReplicaSet/web-5d8f")
	}
	return k, n, nil
}

// parseSort reads sort ("-col" descending).
func parseSort(s string) (string, bool, *apiError) {
	desc := strings.HasPrefix(s, "-")
	col := strings.TrimPrefix(s, "-")
	if s == "" {
		return "", false, nil
	}
	if !sortRE.MatchString(col) {
		return "", false, badParam("sort", "sort must be a column name, optionally prefixed with -")
	}
	if col == "namespace" && !desc {
		return "", false, nil // the default order: namespace, name, uid
	}
	return col, desc, nil
}
