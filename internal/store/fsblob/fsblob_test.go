package fsblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/store"
)

func TestPutOpen(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir())
	sum, n, err := s.Put(ctx, "acme", strings.NewReader("evidence bytes"))
	want := sha256.Sum256([]byte("evidence bytes"))
	if err != nil || sum != hex.EncodeToString(want[:]) || n != 14 {
		t.Fatalf("Put = %s %d %v", sum, n, err)
	}
	if again, _, err := s.Put(ctx, "acme", strings.NewReader("evidence bytes")); err != nil || again != sum {
		t.Errorf("second Put = %s, %v", again, err)
	}
	r, err := s.Open(ctx, "acme", sum)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r)
	r.Close()
	if string(body) != "evidence bytes" {
		t.Errorf("read %q", body)
	}
	p, _ := s.path("acme", sum)
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o440 {
		t.Errorf("mode %v, want read-only", fi.Mode().Perm())
	}
	cases := []struct{ name, tenant, sum string }{
		{"other tenant", "other", sum},
		{"path traversal tenant", "../acme", sum},
		{"not a hash", "acme", "../../etc/passwd"},
		{"unknown hash", "acme", strings.Repeat("0", 64)},
	}
	for _, c := range cases {
		if _, err := s.Open(ctx, c.tenant, c.sum); err == nil {
			t.Errorf("%s: opened", c.name)
		}
	}
	if _, err := s.Open(ctx, "acme", strings.Repeat("0", 64)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}
