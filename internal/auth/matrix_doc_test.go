package auth

import (
	"flag"
	"os"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the permission matrix in docs/security.md")

const (
	docPath    = "../../docs/security.md"
	beginMark  = "<!-- permissions:begin -->"
	endMark    = "<!-- permissions:end -->"
	permsIntro = "| permission | " // header start
)

// matrixTable renders grants as the Markdown table docs/security.md shows.
func matrixTable() string {
	var perms []string
	for p := range grants {
		perms = append(perms, string(p))
	}
	sort.Strings(perms)
	var b strings.Builder
	b.WriteString(permsIntro + strings.Join(Roles, " | ") + " |\n|---|")
	b.WriteString(strings.Repeat("---|", len(Roles)) + "\n")
	for _, p := range perms {
		b.WriteString("| `" + p + "` |")
		for _, r := range Roles {
			if Allowed(r, Permission(p)) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString("  |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// The documented permission matrix is the one the code enforces.
func TestSecurityDocMatrix(t *testing.T) {
	body, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(body)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %s … %s section", docPath, beginMark, endMark)
	}
	got := strings.TrimSpace(doc[i+len(beginMark) : j])
	want := strings.TrimSpace(matrixTable())
	if got == want {
		return
	}
	if *update {
		doc = doc[:i+len(beginMark)] + "\n" + want + "\n" + doc[j:]
		if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/security.md's permission matrix is out of date; run: go test ./internal/auth -run TestSecurityDocMatrix -update\nwant:\n%s", want)
}
