package hunt

import (
	"os"
	"strings"
	"testing"
)

// TestDocumentedExamples parses and compiles every query in the examples
// of docs/hunting.md, so the manual cannot drift from the language.
func TestDocumentedExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/hunting.md")
	if err != nil {
		t.Fatal(err)
	}
	_, examples, ok := strings.Cut(string(doc), "## Examples")
	if !ok {
		t.Fatal("docs/hunting.md has no Examples section")
	}
	examples, _, _ = strings.Cut(examples, "## Grammar")
	n := 0
	for _, line := range strings.Split(examples, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "```") {
			continue
		}
		n++
		q, err := Parse(line)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if _, err := Compile(q, line, Options{}); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	if n < 5 {
		t.Errorf("only %d examples found", n)
	}
}
