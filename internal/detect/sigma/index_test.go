package sigma

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/detect"
)

func TestAhoCorasick(t *testing.T) {
	pats := []string{"he", "she", "his", "hers", "usher", "x"}
	ac, ok := newAhoCorasick(pats)
	if !ok {
		t.Fatal("build failed")
	}
	tests := []struct {
		text string
		want string
	}{
		{"ushers", "he,hers,she,usher"},
		{"ahishers", "he,hers,his,she"},
		{"nothing", ""},
		{"", ""},
		{"xx", "x"},
	}
	for _, tt := range tests {
		seen := map[string]bool{}
		ac.each(tt.text, func(id int32) bool { seen[pats[id]] = true; return true })
		var got []string
		for p := range seen {
			got = append(got, p)
			if !strings.Contains(tt.text, p) {
				t.Errorf("%q: reported %q which does not occur", tt.text, p)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%q: found %v, want %s", tt.text, got, tt.want)
		}
		if ac.containsAny(tt.text) != (tt.want != "") {
			t.Errorf("%q: containsAny = %v", tt.text, !(tt.want != ""))
		}
	}
}

func TestAhoCorasickFoldsASCII(t *testing.T) {
	ac, _ := newAhoCorasick([]string{"sekurlsa::", "kerberos::ptt"})
	if !ac.foldsASCII || !ac.containsAny("mimikatz # SEKURLSA::logonpasswords") {
		t.Error("lower-case ASCII patterns must match upper-case input")
	}
	mixed, _ := newAhoCorasick([]string{"café"})
	if mixed.foldsASCII {
		t.Error("non-ASCII patterns must not claim ASCII folding")
	}
}

// TestIndexAgreesWithFullEvaluation runs the SigmaHQ set over the attack
// samples with and without the candidate index: the matches must be the
// same, rule for rule and event for event.
func TestIndexAgreesWithFullEvaluation(t *testing.T) {
	indexed := loadSigmaHQ(t)
	full := loadSigmaHQ(t)
	full.noIndex = true
	events := loadAttackSamples(t)
	total := 0
	for i, ev := range events {
		a := matchKeys(indexed.Detect(ev, nil))
		b := matchKeys(full.Detect(ev, nil))
		if a != b {
			t.Errorf("event %d (%v): indexed %s, full %s", i, ev.Fields["EventID"], a, b)
		}
		total += strings.Count(b, ";")
	}
	if total == 0 {
		t.Fatal("no matches at all: the comparison proves nothing")
	}
}

func matchKeys(ms []detect.Match) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s;", m.RuleID)
	}
	return b.String()
}

func TestCoverNeedles(t *testing.T) {
	pats := []string{"sekurlsa::", "lsadump::", "kerberos::ptt", "gentilkiwi.com", "eo.oe.kiwi"}
	ac, _ := newAhoCorasick(pats)
	if len(ac.needles) == 0 {
		t.Fatal("expected a needle cover for the mimikatz keywords")
	}
	for _, p := range pats {
		for _, text := range []string{p, strings.ToUpper(p), "x " + p + " y"} {
			if !ac.mayMatch(text) || !ac.containsAny(text) {
				t.Errorf("%q must pass the prefilter and match", text)
			}
		}
	}
	if ac.containsAny("nothing to see here") {
		t.Error("false match")
	}
	if n := coverNeedles([]string{"a", "bc"}, false); n != nil {
		t.Errorf("single-byte patterns cannot be covered by pairs, got %v", n)
	}
	if got := caseVariants("k:", true); strings.Join(got, ",") != "k:,K:" {
		t.Errorf("caseVariants = %v", got)
	}
}

// TestAhoCorasickTwoLanes compares the automaton with plain substring search
// on long texts, where the scan splits into two lanes.
func TestAhoCorasickTwoLanes(t *testing.T) {
	pats := []string{"ab", "abc", "bca", "cab", "zz", "aaaa", "cccc"}
	ac, _ := newAhoCorasick(pats)
	rng := rand.New(rand.NewSource(7))
	for n := 0; n < 300; n++ {
		b := make([]byte, 200+rng.Intn(400))
		for i := range b {
			b[i] = "abcz"[rng.Intn(4)]
		}
		text := string(b)
		found := map[int32]bool{}
		ac.each(text, func(id int32) bool { found[id] = true; return true })
		for id, p := range pats {
			if strings.Contains(text, p) != found[int32(id)] {
				t.Fatalf("text %q: pattern %q contained=%v found=%v", text, p, strings.Contains(text, p), found[int32(id)])
			}
		}
	}
	// A pattern straddling the middle of a long text.
	long := strings.Repeat("x", 299) + "abc" + strings.Repeat("x", 298)
	only, _ := newAhoCorasick([]string{"abc", "qqqqq", "rrrrr", "sssss", "ttttt", "uuuuu"})
	hit := false
	only.each(long, func(id int32) bool { hit = hit || id == 0; return true })
	if !hit {
		t.Error("pattern across the middle not found")
	}
}
