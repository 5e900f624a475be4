package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token settings.
const (
	Issuer          = "atlhyper"
	AccessAudience  = "atlhyper-api"
	RefreshAudience = "atlhyper-refresh"
	AccessTTL       = 15 * time.Minute
	RefreshTTL      = 12 * time.Hour
	SessionMaxAge   = 7 * 24 * time.Hour
	clockLeeway     = 30 * time.Second
)

// Claims are the claims of both token kinds. The role is informational:
// every request re-reads the user (cached ≤ CacheTTL) for the real role.
type Claims struct {
	jwt.RegisteredClaims
	Role       Role   `json:"role,omitempty"`
	Generation int64  `json:"gen"`
	SessionID  string `json:"sid"`
	UserID     string `json:"uid,omitempty"` // the account's identity (User.ID)
}

// ErrTokenExpired and ErrTokenInvalid classify token failures.
var (
	ErrTokenExpired = errors.New("token expired")
	ErrTokenInvalid = errors.New("invalid token")
)

// keyring holds the signing keys derived from the secret: separate keys for
// access and refresh tokens (and distinct audiences) so neither can stand
// in for the other. A previous secret may be given for rotation: tokens it
// signed stay valid until they expire; new tokens use the current one.
type keyring struct {
	access, refresh []key // [0] signs
}

type key struct {
	id     string
	secret []byte
}

func derive(secret, purpose string) key {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("atlhyper " + purpose + " token v1"))
	k := m.Sum(nil)
	id := sha256.Sum256(k)
	return key{id: hex.EncodeToString(id[:6]), secret: k}
}

func newKeyring(secret string, previous ...string) keyring {
	var kr keyring
	for _, s := range append([]string{secret}, previous...) {
		if s == "" {
			continue
		}
		kr.access = append(kr.access, derive(s, "access"))
		kr.refresh = append(kr.refresh, derive(s, "refresh"))
	}
	return kr
}

func randomID() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sign(keys []key, c Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = keys[0].id
	return t.SignedString(keys[0].secret)
}

func parse(keys []key, audience, raw string, now func() time.Time) (*Claims, error) {
	if len(raw) > 4096 {
		return nil, fmt.Errorf("%w: too long", ErrTokenInvalid)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockLeeway),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)
	var c Claims
	_, err := p.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range keys {
			if hmac.Equal([]byte(kid), []byte(k.id)) {
				return k.secret, nil
			}
		}
		return nil, errors.New("unknown key id")
	})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, ErrTokenExpired
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	if c.Subject == "" || c.SessionID == "" || c.ID == "" || c.NotBefore == nil || c.IssuedAt == nil {
		return nil, fmt.Errorf("%w: missing claims", ErrTokenInvalid)
	}
	return &c, nil
}

func regClaims(sub, aud, id string, now, exp time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{
		Issuer: Issuer, Subject: sub, Audience: jwt.ClaimStrings{aud}, ID: id,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}
}
