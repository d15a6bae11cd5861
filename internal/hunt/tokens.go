package hunt

import (
	"strings"

	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// requiredTokens lists the lower-cased words every event matching e must
// hold in its raw text or message: the whole words of the bare words and
// phrases that e requires (through AND only; OR and NOT require none).
// A run of word characters touching a wildcard is not a whole word.
func requiredTokens(e Expr, out []string) []string {
	switch x := e.(type) {
	case *And:
		return requiredTokens(x.R, requiredTokens(x.L, out))
	case *Term:
		if x.Kind != TermWord {
			return out
		}
		v := strings.ToLower(x.Value)
		wild := func(i int) bool { return !x.Quoted && i >= 0 && i < len(v) && (v[i] == '*' || v[i] == '?') }
		for i := 0; i < len(v); {
			if !duckdb.IsWordByte(v[i]) {
				i++
				continue
			}
			j := i
			for j < len(v) && duckdb.IsWordByte(v[j]) {
				j++
			}
			if !wild(i-1) && !wild(j) {
				out = appendNew(out, v[i:j])
			}
			i = j
		}
	}
	return out
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
