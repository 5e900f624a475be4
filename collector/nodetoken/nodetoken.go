// Package nodetoken binds a collector's pushes to its node. A node's token
// is "<node>.<mac>", the MAC an HMAC-SHA256 of the node's name under the
// agent's ingest secret: the agent checks it (before reading a body) and
// then that the push is that node's, so the holder of one node's token can
// neither push as another node nor mute one by pushing ahead of its clock.
// Only the secret's holder can make tokens; it never travels with a push.
package nodetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinSecretLen is the shortest secret accepted.
const MinSecretLen = 16

// ErrInvalid marks a token that is malformed or not made with the secret.
var ErrInvalid = errors.New("invalid node token")

func mac(secret, node string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("atlhyper node token v1\x00" + node))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckSecret refuses a secret too short to be one.
func CheckSecret(secret string) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("ingest secret has %d bytes, want at least %d (e.g. openssl rand -hex 32)", len(secret), MinSecretLen)
	}
	return nil
}

// Make returns node's token under secret.
func Make(secret, node string) string { return node + "." + mac(secret, node) }

// Node returns the node a token claims, without checking it.
func Node(token string) (string, error) {
	i := strings.LastIndexByte(token, '.')
	if i <= 0 || i == len(token)-1 {
		return "", fmt.Errorf("%w: want <node>.<mac>", ErrInvalid)
	}
	return token[:i], nil
}

// Verify returns the node token was made for, if one of secrets made it
// (compared in constant time).
func Verify(token string, secrets ...string) (string, error) {
	node, err := Node(token)
	if err != nil {
		return "", err
	}
	got := token[len(node)+1:]
	ok := false
	for _, s := range secrets { // every secret is tried: the time tells nothing
		if s != "" && hmac.Equal([]byte(got), []byte(mac(s, node))) {
			ok = true
		}
	}
	if !ok {
		return "", fmt.Errorf("%w for node %q", ErrInvalid, clip(node))
	}
	return node, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
