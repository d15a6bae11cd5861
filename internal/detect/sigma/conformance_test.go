package sigma

import (
	"sort"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/shareddata"
)

// TestSigmaHQConformance loads the whole SigmaHQ rule set: at least 99.5%
// of the documents must load, every rejection must name its reason, and the
// engine must compile what was loaded.
func TestSigmaHQConformance(t *testing.T) {
	var paths []string
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		paths = append(paths, shareddata.Path(t, "sigma", d))
	}
	set, rejected, err := LoadPaths(paths...)
	if err != nil {
		t.Fatal(err)
	}
	total := set.Len() + len(rejected)
	ratio := float64(set.Len()) / float64(total)
	t.Logf("loaded %d of %d documents (%.2f%%), rejected %d", set.Len(), total, 100*ratio, len(rejected))
	reasons := make(map[string]int)
	for _, r := range rejected {
		t.Logf("rejected: %s", r)
		if r.Reason == "" || r.Path == "" {
			t.Errorf("rejection without path or reason: %+v", r)
		}
		reasons[reasonClass(r.Reason)]++
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%4d × %s", reasons[k], k)
	}
	if ratio < 0.995 {
		t.Errorf("load ratio %.4f below 0.995", ratio)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := eng.Stats()
	t.Logf("engine: %d rules, %d logsources, %d unmapped, %d fields", st.Rules, st.Groups, st.Unmapped, st.Fields)
	if st.Rules != len(set.Rules) {
		t.Errorf("engine compiled %d rules, set has %d", st.Rules, len(set.Rules))
	}
}

func reasonClass(reason string) string {
	if i := strings.Index(reason, ": "); i > 0 && strings.HasPrefix(reason, "search identifier") {
		reason = reason[i+2:]
	}
	if len(reason) > 90 {
		reason = reason[:90]
	}
	return reason
}
