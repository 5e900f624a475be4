package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/atlhyper/atlhyper/query/control"
)

// runCommandKey makes a key pair for signing remote operations:
//
//	api command-key [--id k20261206]
//
// It prints the API's private key (ATLHYPER_COMMAND_SIGNING_KEY, a secret)
// and the public key the agents trust (--command-public-keys). To roll a
// key, give agents the new public key beside the old one, then switch the
// API to the new private key.
func runCommandKey(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("api command-key", flag.ContinueOnError)
	fs.SetOutput(out)
	id := fs.String("id", "k"+time.Now().UTC().Format("20060102"), "key id (letters, digits, . _ -)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`).MatchString(*id) {
		return errors.New("--id: 1 to 32 letters, digits, '.', '_' or '-'")
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	s, err := control.ParseSigner(*id + "=" + base64.StdEncoding.EncodeToString(priv.Seed()))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "# the API's signing key (secret: keep it with the JWT secret)\nATLHYPER_COMMAND_SIGNING_KEY=%s=%s\n",
		s.KeyID, base64.StdEncoding.EncodeToString(priv.Seed()))
	fmt.Fprintf(out, "# the agents' --command-public-keys (comma-separate several while rolling keys)\nATLHYPER_COMMAND_PUBLIC_KEYS=%s\n", s.PublicKey())
	return nil
}
