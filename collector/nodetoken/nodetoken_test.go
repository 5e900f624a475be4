package nodetoken

import (
	"errors"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	const secret, old = "ingest-secret-0123456789abcdef", "older-secret-fedcba9876543210"
	tok := Make(secret, "node-a.example")
	if n, err := Verify(tok, secret); err != nil || n != "node-a.example" {
		t.Fatalf("verify: %q %v", n, err)
	}
	if n, err := Verify(Make(old, "node-b"), secret, old); err != nil || n != "node-b" {
		t.Fatalf("previous secret: %q %v", n, err)
	}
	a := Make(secret, "node-a")
	macA := a[strings.LastIndexByte(a, '.')+1:]
	for _, bad := range []string{
		"", "node-a", "node-a.", ".mac", Make("another-secret-000000000000", "node-a"),
		"node-b." + macA, // node-a's MAC claimed for node-b
		a + "x", strings.ToUpper(a),
	} {
		if _, err := Verify(bad, secret); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q verified: %v", bad, err)
		}
	}
	if CheckSecret("short") == nil || CheckSecret(secret) != nil {
		t.Fatal("secret check")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(Make("ingest-secret-0123456789abcdef", "n"))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		n, err := Verify(tok, "ingest-secret-0123456789abcdef")
		if err == nil && Make("ingest-secret-0123456789abcdef", n) != tok {
			t.Fatalf("%q verified as %q", tok, n)
		}
	})
}
