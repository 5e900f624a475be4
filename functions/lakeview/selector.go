package lakeview

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Selector is a parsed Kubernetes label selector (equality and set based).
type Selector struct {
	reqs []requirement
	src  string
}

type requirement struct {
	key    string
	op     string // =, !=, in, notin, exists, !
	values []string
}

var (
	labelKeyRE   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValueRE = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)

// ParseSelector parses "k=v,k!=v,k,!k,k in (a,b),k notin (a,b)".
func ParseSelector(s string) (Selector, error) {
	sel := Selector{src: s}
	s = strings.TrimSpace(s)
	if s == "" {
		return sel, nil
	}
	if len(s) > 1024 {
		return sel, fmt.Errorf("label selector longer than 1024 characters")
	}
	for _, part := range splitTop(s) {
		part = strings.TrimSpace(part)
		var r requirement
		switch {
		case part == "":
			return sel, fmt.Errorf("empty requirement in label selector")
		case strings.HasPrefix(part, "!"):
			r = requirement{key: strings.TrimSpace(part[1:]), op: "!"}
		case strings.Contains(part, "!="):
			k, v, _ := strings.Cut(part, "!=")
			r = requirement{key: strings.TrimSpace(k), op: "!=", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(part, "=="):
			k, v, _ := strings.Cut(part, "==")
			r = requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(part, "="):
			k, v, _ := strings.Cut(part, "=")
			r = requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(part, " in ") || strings.Contains(part, " notin "):
			op := "in"
			k, rest, _ := strings.Cut(part, " in ")
			if strings.Contains(part, " notin ") {
				op = "notin"
				k, rest, _ = strings.Cut(part, " notin ")
			}
			rest = strings.TrimSpace(rest)
			if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
				return sel, fmt.Errorf("label selector %q: want %s (a,b)", part, op)
			}
			var vals []string
			for _, v := range strings.Split(rest[1:len(rest)-1], ",") {
				vals = append(vals, strings.TrimSpace(v))
			}
			r = requirement{key: strings.TrimSpace(k), op: op, values: vals}
		default:
			r = requirement{key: part, op: "exists"}
		}
		if !labelKeyRE.MatchString(r.key) || len(r.key) > 317 {
			return sel, fmt.Errorf("label selector: invalid key %q", r.key)
		}
		for _, v := range r.values {
			if !labelValueRE.MatchString(v) {
				return sel, fmt.Errorf("label selector: invalid value %q", v)
			}
		}
		sel.reqs = append(sel.reqs, r)
	}
	return sel, nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Matches reports whether labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	for _, r := range s.reqs {
		v, has := labels[r.key]
		switch r.op {
		case "=":
			if !has || v != r.values[0] {
				return false
			}
		case "!=":
			if has && v == r.values[0] {
				return false
			}
		case "in":
			if !has || !slices.Contains(r.values, v) {
				return false
			}
		case "notin":
			if has && slices.Contains(r.values, v) {
				return false
			}
		case "exists":
			if !has {
				return false
			}
		case "!":
			if has {
				return false
			}
		}
	}
	return true
}

func (s Selector) String() string { return s.src }
