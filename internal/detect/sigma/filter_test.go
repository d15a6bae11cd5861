package sigma

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

const otherProcRule = `title: Rar
id: aaaaaaaa-0000-0000-0000-0000000000f2
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\rar.exe'}
  condition: sel
`

const securityLogonRule = `title: Logon
id: aaaaaaaa-0000-0000-0000-0000000000f3
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
`

func TestFilters(t *testing.T) {
	byID := `title: Not admins
logsource: {product: windows, category: process_creation}
filter:
  rules:
    - aaaaaaaa-0000-0000-0000-000000000001
  selection:
    User|startswith: 'adm_'
  condition: not selection
`
	byTitle := `title: Not the build host
logsource: {product: windows}
filter:
  rules: [Rar]
  host:
    Computer: build01
  condition: not host
`
	all := `title: Everywhere on windows
logsource: {product: windows}
filter:
  rules: any
  lab:
    Computer|startswith: lab-
  condition: not lab
`
	wrongLogsource := `title: Linux only
logsource: {product: linux}
filter:
  rules: [Logon]
  sel:
    EventID: 4624
  condition: not sel
`
	eng := engineFromDocs(t, Options{}, procCreationRule, otherProcRule, securityLogonRule, byID, byTitle, all, wrongLogsource)
	if got := eng.Stats().Filters; got != 3 {
		t.Errorf("filters in use = %d, want 3 (the linux filter matches no rule)", got)
	}
	proc := func(image, cmd, user, computer string) *event.Event {
		return winEvent(event.DatasetWindowsSysmon, event.Fields{"EventID": int64(1), "Image": image, "CommandLine": cmd, "User": user, "Computer": computer})
	}
	tests := []struct {
		name string
		ev   *event.Event
		want int
	}{
		{"whoami by user", proc(`c:\whoami.exe`, "whoami /all", "bob", "ws1"), 1},
		{"whoami by admin filtered by id", proc(`c:\whoami.exe`, "whoami /all", "ADM_bob", "ws1"), 0},
		{"rar by admin not filtered (filter names other rule)", proc(`c:\rar.exe`, "rar a", "adm_bob", "ws1"), 1},
		{"rar on build host filtered by title", proc(`c:\rar.exe`, "rar a", "bob", "build01"), 0},
		{"whoami on build host not filtered", proc(`c:\whoami.exe`, "whoami /all", "bob", "build01"), 1},
		{"any-rule filter", proc(`c:\whoami.exe`, "whoami /all", "bob", "lab-7"), 0},
		{"any-rule filter on security", winEvent(event.DatasetWindowsSecurity, event.Fields{"EventID": int64(4624), "Computer": "lab-1"}), 0},
		{"logon kept: linux filter does not apply", winEvent(event.DatasetWindowsSecurity, event.Fields{"EventID": int64(4624), "Computer": "dc1"}), 1},
	}
	for _, tt := range tests {
		if got := len(eng.Detect(tt.ev, nil)); got != tt.want {
			t.Errorf("%s: %d matches, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFilterLoadsFromFile(t *testing.T) {
	rules, rej := ParseRules("f.yml", []byte(`title: F
logsource: {product: windows}
filter:
  rules: [x]
  sel: {A: b}
  condition: not sel
`))
	if len(rej) != 0 || len(rules) != 1 || rules[0].Kind != KindFilter {
		t.Fatalf("rules %v rejections %v", rules, rej)
	}
	if _, ok := rules[0].Filter.Detection.Selections["rules"]; ok {
		t.Error("filter 'rules' must not become a search identifier")
	}
}
