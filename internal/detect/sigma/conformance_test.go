package sigma

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
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

// TestSigmaHQPlaceholderRules loads SigmaHQ's rules-placeholder set: every
// rule loads, placeholders without values are reported, and configured
// values take effect.
func TestSigmaHQPlaceholderRules(t *testing.T) {
	set, rejected, err := LoadPaths(shareddata.Path(t, "sigma", "rules-placeholder"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 0 || len(set.Rules) < 20 {
		t.Fatalf("loaded %d, rejected %v", len(set.Rules), rejected)
	}
	bare, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bare.Stats().UnresolvedPlaceholders["dc_machine_accounts"] == 0 {
		t.Errorf("unresolved placeholders not reported: %v", bare.Stats().UnresolvedPlaceholders)
	}
	ph, err := LoadPlaceholders(filepath.Join("testdata", "placeholders.yml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(set, Options{Placeholders: ph})
	if err != nil {
		t.Fatal(err)
	}
	if n := eng.Stats().UnresolvedPlaceholders["dc_machine_accounts"]; n != 0 {
		t.Errorf("dc_machine_accounts still unresolved (%d uses)", n)
	}
	tgt := func(ip string) *event.Event {
		return &event.Event{Fields: event.Fields{"EventID": int64(4768), "Status": "0x0", "TargetUserName": "DC01$", "IpAddress": ip},
			ECS: event.Fields{"event.dataset": event.DatasetWindowsSecurity}}
	}
	fires := func(e *Engine, ev *event.Event) bool {
		for _, m := range e.Detect(ev, nil) {
			if m.RuleTitle == "DC Machine Account TGT Request from Non-DC Source IP" {
				return true
			}
		}
		return false
	}
	if !fires(eng, tgt("10.0.0.99")) {
		t.Error("DC account TGT from a non-DC address must fire")
	}
	if fires(eng, tgt("10.0.0.10")) {
		t.Error("DC account TGT from a DC address must be filtered")
	}
	if fires(bare, tgt("10.0.0.99")) {
		t.Error("without values the placeholder selection must not fire")
	}
}
