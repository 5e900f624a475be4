package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/control"
)

// TestCommandKey: the printed private key signs commands that the printed
// public key verifies, and two runs make different keys.
func TestCommandKey(t *testing.T) {
	read := func() (string, string) {
		var out bytes.Buffer
		if err := runCommandKey([]string{"--id", "k1"}, &out); err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
				vals[k] = v
			}
		}
		return vals["ATLHYPER_COMMAND_SIGNING_KEY"], vals["ATLHYPER_COMMAND_PUBLIC_KEYS"]
	}
	priv, pub := read()
	s, err := control.ParseSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := control.ParseKeys(pub)
	if err != nil || len(keys) != 1 || keys["k1"] == nil {
		t.Fatalf("public keys %q: %v", pub, err)
	}
	now := time.Now().UTC()
	c := control.Command{ID: "01JABCDEFGHJKMNPQRSTVWXYZ0", Cluster: "c1", Action: "node.cordon", Target: control.Target{Kind: "Node", Name: "n1"},
		RequestedBy: "a", Reason: "r", CreatedAt: now, Deadline: now.Add(time.Minute)}
	signed, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (control.Verifier{Cluster: "c1", Keys: keys}).Verify(signed, now); err != nil {
		t.Fatal(err)
	}
	if priv2, _ := read(); priv2 == priv {
		t.Fatal("two runs made the same key")
	}
	var out bytes.Buffer
	if err := runCommandKey([]string{"--id", "bad id"}, &out); err == nil {
		t.Fatal("accepted a key id with a space")
	}
}
