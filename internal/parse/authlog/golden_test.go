package authlog

import (
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/parse/parsetest"
)

// testdata/records.input holds "program<TAB>message" lines; the golden
// file has what Parse and Extract make of each.
func TestGolden(t *testing.T) {
	var results []parsetest.Result
	for _, line := range parsetest.Lines(t, "records") {
		program, msg, _ := strings.Cut(string(line), "\t")
		r := parsetest.Result{Input: string(line)}
		res, ok := Parse(program, msg)
		a, aok := Extract(program, msg)
		if ok != aok {
			t.Errorf("%q: Parse ok=%v, Extract ok=%v", line, ok, aok)
		}
		if ok {
			r.Format = "authlog"
			r.Fields = map[string]any{"program": res.Program, "action": a.Action, "outcome": a.Outcome, "user": a.User,
				"target_user": a.TargetUser, "source_ip": a.SourceIP, "source_port": a.SourcePort, "method": a.Method,
				"command": a.Command, "tty": res.TTY, "cwd": res.Cwd, "invalid": res.Invalid, "count": res.Count}
		} else {
			r.Error = "not an authentication message"
		}
		results = append(results, r)
	}
	parsetest.Compare(t, "records", results)
}
