package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/atlhyper/atlhyper/functions/audit"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// runAdmin is the break-glass recovery of a lost last admin:
//
//	ATLHYPER_STORE=s3://… api admin --user NAME < password-file
//
// Whoever holds the store's credentials can run it (nobody else can: it
// talks to the store, never to a running API). It makes NAME an enabled
// admin with the password read from stdin (or --password-file), creating
// the user if absent, ends every session NAME had, and writes an audit
// record before it says so.
func runAdmin(ctx context.Context, args []string, stdin io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("api admin", flag.ContinueOnError)
	fs.SetOutput(out)
	storeURL := fs.String("store", os.Getenv("ATLHYPER_STORE"), "store URL (env ATLHYPER_STORE)")
	user := fs.String("user", "", "the user to make an enabled admin (created if absent)")
	pwFile := fs.String("password-file", "", "file holding the new password (default: one line from stdin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *storeURL == "" || *user == "" {
		return errors.New("usage: api admin --store URL --user NAME [--password-file F] (the password is read from stdin otherwise)")
	}
	var pw string
	if *pwFile != "" {
		data, err := os.ReadFile(*pwFile)
		if err != nil {
			return err
		}
		pw = strings.TrimRight(string(data), "\r\n")
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	b, err := store.Open(ctx, *storeURL)
	if err != nil {
		return err
	}
	cost, _ := strconv.Atoi(os.Getenv("ATLHYPER_BCRYPT_COST"))
	// The service signs nothing here; it needs a secret to start.
	var key [32]byte
	rand.Read(key[:])
	log := slog.New(slog.NewTextHandler(out, nil))
	svc, err := auth.New(auth.Config{Bucket: b, Secret: hex.EncodeToString(key[:]), BcryptCost: cost, Logger: log})
	if err != nil {
		return err
	}
	u, created, err := svc.Recover(ctx, *user, pw)
	if err != nil {
		return fmt.Errorf("recover %s: %w", *user, err)
	}
	rec, err := audit.New(b, log, nil)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	if err := rec.Record(ctx, lake.Audit{Actor: "break-glass", Role: string(auth.Admin), Action: "user.recover", Target: "user/" + u.Username,
		Params: audit.Mask(map[string]any{"created": created, "host": host}), Outcome: audit.OK, UserAgent: "api admin"}); err != nil {
		return fmt.Errorf("%s is an admin again, but its audit record failed: %w", u.Username, err)
	}
	what := "is an enabled admin again with the new password; its sessions ended"
	if created {
		what = "was created as an enabled admin"
	}
	fmt.Fprintf(out, "%s %s (audited as user.recover).\n", u.Username, what)
	return nil
}
