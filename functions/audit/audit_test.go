package audit_test

import (
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/functions/audit"
)

func TestMask(t *testing.T) {
	out := audit.Mask(map[string]any{"username": "ann", "password": "p4ss", "new_password": "x", "refresh_token": "t",
		"nested": map[string]any{"api_key": "k", "sql": "SELECT 1"}, "list": []any{map[string]any{"secret": "s"}}})
	for _, leak := range []string{"p4ss", `"x"`, `"t"`, `"k"`, `"s"`} {
		if strings.Contains(out, leak) {
			t.Errorf("%s leaked: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"username":"ann"`) || !strings.Contains(out, `"sql":"SELECT 1"`) {
		t.Errorf("lost plain values: %s", out)
	}
	if audit.Mask(nil) != "" {
		t.Error("empty params")
	}
}
