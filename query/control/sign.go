package control

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Commands are signed by the API with Ed25519: the bucket is shared
// infrastructure, so an agent trusts a command because of its signature,
// never because it is there. The signature covers the exact payload bytes,
// which name the cluster (a command copied into another cluster's queue
// is invalid) and a deadline. Keys carry an id so a new key can be rolled
// in while the old one is still accepted.

// Signed is a command as stored: the payload bytes exactly as signed.
type Signed struct {
	Payload   []byte `json:"payload"` // JSON of a Command (base64 in the object)
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// Signer signs commands with one private key.
type Signer struct {
	KeyID string
	Key   ed25519.PrivateKey
}

// Sign encodes c and signs it.
func (s Signer) Sign(c Command) (Signed, error) {
	if s.KeyID == "" || len(s.Key) != ed25519.PrivateKeySize {
		return Signed{}, errors.New("command signer: no key")
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return Signed{}, err
	}
	return Signed{Payload: payload, KeyID: s.KeyID, Signature: ed25519.Sign(s.Key, payload)}, nil
}

// Verifier checks commands for one cluster against the public keys it
// trusts, allowing Skew between the API's clock and its own.
type Verifier struct {
	Cluster string
	Keys    map[string]ed25519.PublicKey // key id -> key
	Skew    time.Duration
}

// Refusal reasons (Result.Error of refused commands).
var (
	ErrUnsigned     = errors.New("unsigned command")
	ErrUnknownKey   = errors.New("signed with a key this agent does not trust")
	ErrBadSignature = errors.New("signature does not match the command")
	ErrWrongCluster = errors.New("command is for another cluster")
	ErrExpired      = errors.New("command deadline passed")
)

// DefaultSkew is the clock difference between the API and an agent that
// deadlines tolerate.
const DefaultSkew = 30 * time.Second

// Verify checks s and returns its command: signed by a trusted key over
// exactly these bytes, for this cluster, and not past its deadline by
// more than the skew. It does not know which commands ran before: the
// queue refuses replays (an id that already has a state).
func (v Verifier) Verify(s Signed, now time.Time) (Command, error) {
	if len(s.Signature) == 0 || s.KeyID == "" {
		return Command{}, ErrUnsigned
	}
	key, ok := v.Keys[s.KeyID]
	if !ok {
		return Command{}, fmt.Errorf("%w (key id %q)", ErrUnknownKey, s.KeyID)
	}
	if !ed25519.Verify(key, s.Payload, s.Signature) {
		return Command{}, ErrBadSignature
	}
	var c Command
	if err := json.Unmarshal(s.Payload, &c); err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if c.Cluster != v.Cluster {
		return c, fmt.Errorf("%w (%q)", ErrWrongCluster, c.Cluster)
	}
	if err := c.Valid(); err != nil {
		return c, err
	}
	skew := v.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	if now.After(c.Deadline.Add(skew)) {
		return c, fmt.Errorf("%w (%s)", ErrExpired, c.Deadline.Format(time.RFC3339))
	}
	return c, nil
}

// ParseKeys reads "kid=base64[,kid=base64…]" public keys (the agent's
// --command-public-keys).
func ParseKeys(s string) (map[string]ed25519.PublicKey, error) {
	keys := map[string]ed25519.PublicKey{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kid, b64, ok := strings.Cut(part, "=")
		if !ok || kid == "" {
			return nil, fmt.Errorf("public key %q: want <key id>=<base64>", part)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key %q: want %d bytes, base64", kid, ed25519.PublicKeySize)
		}
		keys[kid] = ed25519.PublicKey(raw)
	}
	return keys, nil
}

// ParseSigner reads "kid=base64 seed" (the API's private key: a 32-byte
// Ed25519 seed).
func ParseSigner(s string) (Signer, error) {
	kid, b64, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || kid == "" {
		return Signer{}, errors.New("command signing key: want <key id>=<base64 seed>")
	}
	seed, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(seed) != ed25519.SeedSize {
		return Signer{}, fmt.Errorf("command signing key %q: want a %d-byte seed, base64", kid, ed25519.SeedSize)
	}
	return Signer{KeyID: kid, Key: ed25519.NewKeyFromSeed(seed)}, nil
}

// PublicKey is the signer's public key as ParseKeys reads it.
func (s Signer) PublicKey() string {
	return s.KeyID + "=" + base64.StdEncoding.EncodeToString(s.Key.Public().(ed25519.PublicKey))
}
