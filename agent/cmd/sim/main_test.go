package main

import (
	"strings"
	"testing"
)

func TestIngestSecretNeedsListen(t *testing.T) {
	err := run([]string{"--store=file://" + t.TempDir(), "--ingest-secret=dev-ingest-secret-0123"})
	if err == nil || !strings.Contains(err.Error(), "--listen") {
		t.Errorf("token without an endpoint: %v", err)
	}
}
