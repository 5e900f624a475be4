package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password and secret rules.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72 // bcrypt uses at most 72 bytes; longer would be silently truncated
	MinSecretLen   = 32
	DefaultCost    = 12
)

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ErrWeak marks a password or secret that the rules refuse.
var ErrWeak = errors.New("weak credential")

// NormalizeUsername lowercases and trims a username.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidUsername checks a (normalized) username.
func ValidUsername(s string) error {
	if !usernameRE.MatchString(s) {
		return fmt.Errorf("invalid username %q: 1-63 characters a-z, 0-9, '.', '_', '-', starting with a letter or digit", truncate(s, 80))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// wellKnown are passwords and secrets that appear in every breach list,
// tutorial or default config; compared case-insensitively.
var wellKnown = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword
		123456 12345678 123456789 1234567890 12345678910 123456789012 qwerty qwertyuiop qwerty123 qwerty123456
		abc123 abcdef abcdefgh abcdefghijkl 111111 000000 111111111111 000000000000 iloveyou admin admin123
		admin1234 administrator adminadmin root toor letmein letmeinplease welcome welcome123 welcome1234
		changeme changeme123 changeit changethis default secret secret123 supersecret mysecret topsecret
		atlhyper atlhyper123 atlhyperadmin atlhyper-admin kubernetes kubernetes123 minioadmin minio123
		test test123 testtest testing123 guest guest123 master monkey dragon football baseball sunshine
		princess trustno1 starwars whatever shadow superman batman 1q2w3e4r 1q2w3e4r5t6y zaq12wsx
		your-256-bit-secret your-secret-key secretkey jwtsecret jwt-secret my-secret-key mysecretkey
		correcthorsebatterystaple`) {
		wellKnown[p] = true
	}
}

func isWellKnown(s string) bool {
	l := strings.ToLower(s)
	if wellKnown[l] {
		return true
	}
	// A well-known word padded with digits or punctuation is still well known.
	if t := strings.TrimRight(l, "0123456789!@#$%^&*.-_ "); t != l && wellKnown[t] {
		return true
	}
	// One character repeated, or a run like "abcabcabc…".
	distinct := map[rune]bool{}
	for _, r := range l {
		distinct[r] = true
	}
	return len(distinct) < 5
}

// CheckPassword applies the password rules.
func CheckPassword(username, pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return fmt.Errorf("%w: password must have at least %d characters", ErrWeak, MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("%w: password must have at most %d bytes", ErrWeak, MaxPasswordLen)
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: password must be valid UTF-8", ErrWeak)
	case isWellKnown(pw):
		return fmt.Errorf("%w: password is well known or too repetitive", ErrWeak)
	case username != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(username)):
		return fmt.Errorf("%w: password must not contain the username", ErrWeak)
	}
	return nil
}

// CheckSecret applies the rules for the token signing secret.
func CheckSecret(secret string) error {
	switch {
	case secret == "":
		return fmt.Errorf("%w: ATLHYPER_JWT_SECRET is empty", ErrWeak)
	case len(secret) < MinSecretLen:
		return fmt.Errorf("%w: ATLHYPER_JWT_SECRET has %d bytes, want at least %d (e.g. openssl rand -base64 48)", ErrWeak, len(secret), MinSecretLen)
	case isWellKnown(secret):
		return fmt.Errorf("%w: ATLHYPER_JWT_SECRET is a well-known value", ErrWeak)
	}
	distinct := map[byte]bool{}
	for i := 0; i < len(secret); i++ {
		distinct[secret[i]] = true
	}
	if len(distinct) < 12 {
		return fmt.Errorf("%w: ATLHYPER_JWT_SECRET is too repetitive (%d distinct bytes)", ErrWeak, len(distinct))
	}
	return nil
}

// HashPassword hashes pw with bcrypt at cost.
func HashPassword(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// dummyHashes are bcrypt hashes of a random, discarded password, one per
// cost: unknown users are compared against one so that they cost the same
// time as known ones.
var dummyHash12 = "$2a$12$RDMovKznAnoMmF3UiSoQ7OxL.S3tKvICNxhO/01er3SCS0LVpKyj."

func dummyHash(cost int) string {
	if cost == DefaultCost {
		return dummyHash12
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("atlhyper-dummy-%d", cost)))
	h, err := bcrypt.GenerateFromPassword(sum[:20], cost)
	if err != nil {
		return dummyHash12
	}
	return string(h)
}
