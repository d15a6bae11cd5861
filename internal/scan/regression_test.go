package scan

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// loadFullEngine compiles rules, rules-emerging-threats and
// rules-threat-hunting.
func loadFullEngine(t testing.TB) *sigma.Engine {
	t.Helper()
	root := shareddata.Path(t, "sigma")
	set, _, err := sigma.LoadPaths(filepath.Join(root, "rules"), filepath.Join(root, "rules-emerging-threats"),
		filepath.Join(root, "rules-threat-hunting"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := sigma.NewEngine(set, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// regressionInfo is the part of a SigmaHQ regression info.yml we check.
type regressionInfo struct {
	RuleMetadata []struct {
		ID    string `yaml:"id"`
		Title string `yaml:"title"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Name       string `yaml:"name"`
		Type       string `yaml:"type"`
		Path       string `yaml:"path"`
		MatchCount *int   `yaml:"match_count"`
	} `yaml:"regression_tests_info"`
}

// TestSigmaRegression scans every SigmaHQ regression sample, the .evtx and
// separately the .json, with the whole rule set through the full scanner
// (parser, normalizer, engine) and checks the rule fires as often as
// info.yml says (at least once when it does not say).
func TestSigmaRegression(t *testing.T) {
	eng := loadFullEngine(t)
	root := shareddata.Path(t, "sigma", "regression_data")
	var infos []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "info.yml" {
			infos = append(infos, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(infos)
	pass, total := 0, 0
	for _, infoPath := range infos {
		data, err := os.ReadFile(infoPath)
		if err != nil {
			t.Fatal(err)
		}
		var info regressionInfo
		if err := yaml.Unmarshal(data, &info); err != nil {
			t.Fatalf("%s: %v", infoPath, err)
		}
		dir := filepath.Dir(infoPath)
		for _, tc := range info.Tests {
			evtxPath := filepath.Join(dir, filepath.Base(tc.Path))
			inputs := []string{evtxPath}
			if strings.HasSuffix(evtxPath, ".evtx") {
				inputs = append(inputs, strings.TrimSuffix(evtxPath, ".evtx")+".json")
			}
			for _, in := range inputs {
				if _, err := os.Stat(in); err != nil {
					t.Errorf("%s: sample missing: %v", infoPath, err)
					continue
				}
				counts := map[string]int{}
				sum, err := Run([]string{in}, eng, Options{}, func(f Finding) error {
					counts[f.RuleID]++
					return nil
				})
				if err != nil || sum.Errors > 0 || sum.Events == 0 {
					t.Errorf("%s: scan: err=%v summary=%+v", in, err, sum)
					continue
				}
				for _, rm := range info.RuleMetadata {
					total++
					got := counts[rm.ID]
					ok := got > 0
					if tc.MatchCount != nil {
						ok = got == *tc.MatchCount
					}
					if ok {
						pass++
						continue
					}
					want := "≥1"
					if tc.MatchCount != nil {
						want = strconv.Itoa(*tc.MatchCount)
					}
					rel, _ := filepath.Rel(root, in)
					t.Errorf("%s: rule %s (%s) matched %d times, want %s", rel, rm.ID, rm.Title, got, want)
				}
			}
		}
	}
	t.Logf("regression: %d/%d rule checks pass", pass, total)
	if total < 200 {
		t.Errorf("only %d checks ran", total)
	}
}
