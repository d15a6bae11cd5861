// Package text reads plain indicator lists: one value per line, '#' or
// ';' starting a comment, the type guessed from each value (or fixed by
// the caller). Firewall blocklists and most "ipblocklist.txt" feeds have
// this form.
//
// It must never panic on input and never fetch anything; it streams.
package text

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

// Format is the name of this reader in the import API.
const Format = "text"

// MaxLine bounds one line; longer lines are reported, not read.
const MaxLine = 64 << 10

// Read reads a plain list. With typ empty each value's type is guessed.
func Read(r io.Reader, o feed.Options, typ intel.Type) (feed.Result, error) {
	o = o.Defaults()
	var res feed.Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		v := sc.Text()
		if i := strings.IndexAny(v, "#;"); i >= 0 && (i == 0 || v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i] // a comment, whole-line or trailing
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		t := typ
		if t == "" {
			t = intel.Guess(v)
		}
		res.Add(o, fmt.Sprintf("line %d", line), intel.IOC{Type: t, Value: v})
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("text: line %d: %w", line+1, err)
	}
	return res, nil
}
