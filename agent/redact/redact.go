// Package redact is the agent's redaction policy: what it masks or drops in
// the objects it watches and the log tails it captures, before anything
// reaches its cache or the lake (which every viewer may read).
//
// The policy, all of it covered by tests on a corpus of secret formats and
// of look-alikes that must stay readable:
//
//   - Annotations that embed a whole manifest are dropped: every key
//     matching ManifestAnnotations (kubectl's last-applied-configuration and
//     anything else *last-applied*, kapp's original and original-diff,
//     Rancher's objectset applied, ...). Every other annotation value is
//     masked like free text (below).
//   - Container and init/ephemeral container args and command: the value of
//     a flag named like a secret (--password=…, --client-secret …) is
//     masked, and every element is masked like free text.
//   - Probe and lifecycle httpGet headers: values of headers named like a
//     credential (Authorization, Cookie, *token*, *key*, *secret*, *auth*,
//     *password*) are masked, the others like free text; lifecycle exec
//     commands like args.
//   - Event messages (a failing probe's output lands there) and free text
//     (log tails, annotation values, args): secret-shaped values
//     are replaced by Mask and the rest of the line is kept: cloud keys
//     (AWS access key ids, GCP API keys and OAuth tokens, Azure account keys
//     and SAS signatures), GitHub and Slack tokens, Slack webhooks, JWTs,
//     PEM private keys, passwords in URLs and DSNs and after curl's -u,
//     bearer and basic credentials, and values assigned to a name ending
//     like a secret (password=…, "api_key": "…", TOKEN: …).
//
// Literal env values are replaced elsewhere (agent/watch, always), and a
// Secret's data is never read. The policy can be turned off for a cluster
// (the agent's --redact=false), for clusters whose viewers may see all of
// it; what it masks is then stored as the API server has it.
package redact

import (
	"path"
	"regexp"
	"strings"
	"sync/atomic"
)

// Mask replaces a secret value.
const Mask = "<redacted>"

// Policy says whether redaction is on.
type Policy struct {
	// Disabled turns redaction off (the per-cluster opt-out).
	Disabled bool
}

// The agent watches one cluster per process, so the policy is the
// process's: set once at start, before any informer runs, and read by the
// informers' transform (a plain function shared by every informer).
var current atomic.Pointer[Policy]

// SetPolicy sets the process's policy.
func SetPolicy(p Policy) { current.Store(&p) }

// Enabled reports whether redaction is on (the default).
func Enabled() bool {
	p := current.Load()
	return p == nil || !p.Disabled
}

// ManifestAnnotations are patterns (path.Match) of annotation keys whose
// values embed a whole manifest, with every literal value and a Secret's
// data in it.
var ManifestAnnotations = []string{
	"*last-applied*",
	"*/last-applied*",
	"kapp.k14s.io/original",
	"kapp.k14s.io/original-diff",
	"objectset.rio.cattle.io/applied",
	"*/original-configuration",
}

// IsManifestAnnotation reports whether an annotation key is one of them.
func IsManifestAnnotation(key string) bool {
	k := strings.ToLower(key)
	for _, p := range ManifestAnnotations {
		if ok, _ := path.Match(p, k); ok {
			return true
		}
	}
	return strings.Contains(k, "last-applied")
}

// Annotations drops manifest annotations and masks the others' values, in
// place; it returns the map (nil when nothing is left).
func Annotations(a map[string]string) map[string]string {
	if !Enabled() || len(a) == 0 {
		return a
	}
	for k, v := range a {
		if IsManifestAnnotation(k) {
			delete(a, k)
			continue
		}
		if m := Text(v); m != v {
			a[k] = m
		}
	}
	if len(a) == 0 {
		return nil
	}
	return a
}

// secretName matches a name that ends like a secret's: password, pwd,
// secret, token, api key, access key, private key, credential(s), auth
// key… ("password_min_length" and "max_tokens" do not).
var secretName = regexp.MustCompile(`(?i)(passwd|password|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|` +
	`auth[_-]?key|private[_-]?key|secret[_-]?key|credentials?|client[_-]?secret|session[_-]?key|signing[_-]?key)$`)

// credentialHeader matches the name of a header that carries a credential.
var credentialHeader = regexp.MustCompile(`(?i)^(authorization|proxy-authorization|cookie|set-cookie)$|token|key|secret|auth|password|passwd|session`)

// IsSecretName reports whether a flag, key or variable name ends like a
// secret's.
func IsSecretName(name string) bool {
	return secretName.MatchString(strings.TrimLeft(strings.TrimSpace(name), "-"))
}

// Args masks a container's args or command, in place: the value of a flag
// named like a secret (in the same element or the next), and secret-shaped
// values anywhere.
func Args(args []string) {
	if !Enabled() {
		return
	}
	maskNext := false
	for i, a := range args {
		if maskNext {
			maskNext = false
			if a != "" && !strings.HasPrefix(a, "-") {
				args[i] = Mask
				continue
			}
		}
		if strings.HasPrefix(a, "-") && !strings.ContainsAny(a, " \t") {
			name, val, hasVal := strings.Cut(a, "=")
			if IsSecretName(name) {
				if hasVal {
					if val != "" {
						args[i] = name + "=" + Mask
					}
				} else {
					maskNext = true
				}
				continue
			}
		}
		args[i] = Text(a)
	}
}

// Header masks one header's value by its name.
func Header(name, value string) string {
	if !Enabled() {
		return value
	}
	if credentialHeader.MatchString(name) && value != "" {
		return Mask
	}
	return Text(value)
}

// rule is one secret shape: re's match is replaced by repl (which may keep
// groups around the secret).
type rule struct {
	name string
	re   *regexp.Regexp
	repl string
}

// rules are applied in order to free text. Each keeps what is around the
// secret, so a masked line still says what happened.
var rules = []rule{
	// Blocks first: a PEM private key spans lines.
	{"pem private key", regexp.MustCompile(`(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`), "${1}" + Mask + "${2}"},
	{"pem private key (json)", regexp.MustCompile(`(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(\\n[A-Za-z0-9+/=\\n]+)(\\n-----END [A-Z0-9 ]*PRIVATE KEY-----)?`), "${1}" + Mask + "${3}"},
	// Credentials in URLs and DSNs: scheme://user:password@host, user:password@tcp(…).
	{"url password", regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'"]*:)([^@\s/'"]+)(@)`), "${1}" + Mask + "${3}"},
	{"dsn password", regexp.MustCompile(`(\b[A-Za-z0-9_.-]+:)([^@\s/:'"]+)(@(?:tcp|unix|udp)\()`), "${1}" + Mask + "${3}"},
	// curl -u user:password, --user user:password.
	{"user flag", regexp.MustCompile(`((?:^|\s)(?:-u|--user)[\s=]+[^\s:'"]+:)([^\s'"]+)`), "${1}" + Mask},
	// Authorization headers and bearer tokens.
	{"authorization header", regexp.MustCompile(`(?i)(\b(?:proxy-)?authorization\s*[:=]\s*(?:bearer|basic|token|digest|negotiate)?\s*)([^\s'",;]+)`), "${1}" + Mask},
	{"bearer token", regexp.MustCompile(`(?i)(\bbearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)`), "${1}" + Mask},
	// Known token formats.
	{"jwt", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`), Mask},
	{"aws access key id", regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|ANPA|AGPA)[0-9A-Z]{16}\b`), Mask},
	{"gcp api key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`), Mask},
	{"gcp oauth token", regexp.MustCompile(`\bya29\.[0-9A-Za-z_-]{20,}`), Mask},
	{"azure account key", regexp.MustCompile(`(?i)(AccountKey\s*=\s*)([A-Za-z0-9+/]{40,}={0,2})`), "${1}" + Mask},
	{"azure sas signature", regexp.MustCompile(`([?&]sig=)([A-Za-z0-9%+/=]{20,})`), "${1}" + Mask},
	{"github token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`), Mask},
	{"slack token", regexp.MustCompile(`\bxox[abeoprs]-[A-Za-z0-9-]{10,}`), Mask},
	{"slack webhook", regexp.MustCompile(`(https://hooks\.slack\.com/services/)[A-Za-z0-9/]+`), "${1}" + Mask},
	{"private key in json", regexp.MustCompile(`("private_key"\s*:\s*")([^"]+)(")`), "${1}" + Mask + "${3}"},
	// name=value, name: value, "name": "value" with a name ending like a
	// secret's. Runs last: it may see the masks above, which stay.
	{"secret assignment", regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9_])[A-Za-z0-9_.-]*(?:passwd|password|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|secret[_-]?key|credentials?|client[_-]?secret|session[_-]?key|signing[_-]?key)["']?\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s,;&'"}\]]+)`), "${1}" + Mask},
}

// Text masks the secret-shaped values in s and keeps everything else,
// line for line.
func Text(s string) string {
	if !Enabled() || s == "" {
		return s
	}
	for _, r := range rules {
		if r.name == "secret assignment" {
			s = r.re.ReplaceAllStringFunc(s, maskAssignment(r.re))
			continue
		}
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}

// maskAssignment masks an assigned value unless it is already a mask or
// empty (password="" tells nothing).
func maskAssignment(re *regexp.Regexp) func(string) string {
	return func(m string) string {
		sub := re.FindStringSubmatch(m)
		val := strings.Trim(sub[2], `"'`)
		if val == "" || strings.Contains(val, Mask) {
			return m
		}
		q := ""
		if strings.HasPrefix(sub[2], `"`) || strings.HasPrefix(sub[2], `'`) {
			q = sub[2][:1]
		}
		return sub[1] + q + Mask + q
	}
}
