package main

import (
	"strings"
	"testing"
)

func TestIngestTokenNeedsListen(t *testing.T) {
	err := run([]string{"--store=file://" + t.TempDir(), "--ingest-token=dev"})
	if err == nil || !strings.Contains(err.Error(), "--listen") {
		t.Errorf("token without an endpoint: %v", err)
	}
}
