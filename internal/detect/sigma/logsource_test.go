package sigma

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

func engineFromDocs(t *testing.T, opts Options, docs ...string) *Engine {
	t.Helper()
	set := &RuleSet{}
	for i, d := range docs {
		rules, rej := ParseRules("doc"+string(rune('a'+i))+".yml", []byte(d))
		if len(rej) > 0 {
			t.Fatalf("parse: %v", rej)
		}
		set.Add(rules...)
	}
	if rej := set.validate(); len(rej) > 0 {
		t.Fatalf("validate: %v", rej)
	}
	eng, err := NewEngine(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

const procCreationRule = `title: Whoami
id: aaaaaaaa-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\whoami.exe'
    CommandLine|contains: '/all'
  condition: sel
`

func winEvent(dataset string, fields event.Fields) *event.Event {
	return &event.Event{Fields: fields, ECS: event.Fields{"event.dataset": dataset}}
}

func TestLogsourceSelection(t *testing.T) {
	securityRule := `title: Sec
id: aaaaaaaa-0000-0000-0000-000000000002
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
`
	windowsAny := `title: AnyWin
id: aaaaaaaa-0000-0000-0000-000000000003
logsource: {product: windows}
detection:
  sel: {Computer: dc01}
  condition: sel
`
	codeIntegrity := `title: CI
id: aaaaaaaa-0000-0000-0000-000000000004
logsource: {product: windows, service: codeintegrity-operational}
detection:
  sel: {EventID: 3033}
  condition: sel
`
	sshd := `title: SSH
id: aaaaaaaa-0000-0000-0000-000000000005
logsource: {product: linux, service: sshd}
detection:
  keywords: ['Failed password']
  condition: keywords
`
	zeek := `title: Zeek SMB
id: aaaaaaaa-0000-0000-0000-000000000006
logsource: {product: zeek, service: smb_files}
detection:
  sel: {name|endswith: '.exe'}
  condition: sel
`
	web := `title: Web
id: aaaaaaaa-0000-0000-0000-000000000007
logsource: {category: webserver}
detection:
  sel: {cs-uri-query|contains: '../'}
  condition: sel
`
	unmapped := `title: Okta
id: aaaaaaaa-0000-0000-0000-000000000008
logsource: {product: okta, service: okta}
detection:
  sel: {eventType: x}
  condition: sel
`
	eng := engineFromDocs(t, Options{}, procCreationRule, securityRule, windowsAny, codeIntegrity, sshd, zeek, web, unmapped)
	if st := eng.Stats(); st.Unmapped != 1 || st.UnmappedLogsources["okta/-/okta"] != 1 {
		t.Errorf("stats = %+v, want the okta rule unmapped", st)
	}
	tests := []struct {
		name string
		ev   *event.Event
		want []string
	}{
		{"sysmon 1", winEvent(event.DatasetWindowsSysmon, event.Fields{"EventID": int64(1), "Image": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami /all"}), []string{"Whoami"}},
		{"sysmon 1 as string id", winEvent(event.DatasetWindowsSysmon, event.Fields{"EventID": "1", "Image": `C:\x\WHOAMI.EXE`, "CommandLine": "whoami /ALL"}), []string{"Whoami"}},
		{"sysmon 3 not process creation", winEvent(event.DatasetWindowsSysmon, event.Fields{"EventID": int64(3), "Image": `C:\x\whoami.exe`, "CommandLine": "whoami /all"}), nil},
		{"security 4688 renamed", winEvent(event.DatasetWindowsSecurity, event.Fields{"EventID": int64(4688), "NewProcessName": `C:\x\whoami.exe`, "CommandLine": "whoami /all"}), []string{"Whoami"}},
		{"security 4688 ProcessCommandLine", winEvent(event.DatasetWindowsSecurity, event.Fields{"EventID": int64(4688), "NewProcessName": `C:\x\whoami.exe`, "ProcessCommandLine": "whoami /all"}), []string{"Whoami"}},
		{"security 4625", winEvent(event.DatasetWindowsSecurity, event.Fields{"EventID": int64(4625)}), []string{"Sec"}},
		{"generic windows rule", winEvent(event.DatasetWindowsSystem, event.Fields{"EventID": int64(7045), "Computer": "DC01"}), []string{"AnyWin"}},
		{"dataset derived from Channel", &event.Event{Fields: event.Fields{"Channel": "Security", "EventID": int64(4625)}}, []string{"Sec"}},
		{"channel selects other", winEvent(event.DatasetWindowsOther, event.Fields{"Channel": "Microsoft-Windows-CodeIntegrity/Operational", "EventID": int64(3033)}), []string{"CI"}},
		{"wrong channel", winEvent(event.DatasetWindowsOther, event.Fields{"Channel": "Application", "EventID": int64(3033)}), nil},
		{"ECS channel fallback", &event.Event{ECS: event.Fields{"event.dataset": event.DatasetWindowsOther, "winlog.channel": "Microsoft-Windows-CodeIntegrity/Operational", "event.code": "3033"}}, []string{"CI"}},
		{"linux auth", &event.Event{Raw: "sshd[1]: Failed password for root", ECS: event.Fields{"event.dataset": event.DatasetLinuxAuth}}, []string{"SSH"}},
		{"linux syslog is not auth", &event.Event{Raw: "Failed password", ECS: event.Fields{"event.dataset": event.DatasetLinuxSyslog}}, nil},
		{"zeek template", &event.Event{Fields: event.Fields{"name": "evil.EXE"}, ECS: event.Fields{"event.dataset": "zeek.smb_files"}}, []string{"Zeek SMB"}},
		{"web access", &event.Event{Fields: event.Fields{"cs-uri-query": "a=../../etc"}, ECS: event.Fields{"event.dataset": event.DatasetWebAccess}}, []string{"Web"}},
		{"web ECS fallback", &event.Event{ECS: event.Fields{"event.dataset": event.DatasetWebAccess, "url.query": "a=../../etc"}}, []string{"Web"}},
		{"no dataset", &event.Event{Fields: event.Fields{"eventType": "x"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range eng.Detect(tt.ev, nil) {
				got = append(got, m.RuleTitle)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("matched %v, want %v", got, tt.want)
			}
		})
	}
}

func TestECSFallback(t *testing.T) {
	eng := engineFromDocs(t, Options{}, procCreationRule)
	ev := &event.Event{ECS: event.Fields{
		"event.dataset": event.DatasetWindowsSysmon, "event.code": "1",
		"process.executable": `C:\x\whoami.exe`, "process.command_line": "whoami /all",
	}}
	if len(eng.Detect(ev, nil)) != 1 {
		t.Error("ECS-only event should match through the fallback table")
	}
	// The native field wins over the ECS fallback.
	ev.Fields = event.Fields{"CommandLine": "whoami"}
	if len(eng.Detect(ev, nil)) != 0 {
		t.Error("native CommandLine must be used before process.command_line")
	}
}

func TestLogsourceConfigOverride(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/ls.yaml"
	cfg := `fallback:
  CommandLine: [cmd]
logsources:
  - {product: windows, category: process_creation, select: [{dataset: custom.edr, where: {kind: exec}}]}
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ls, err := LoadLogsourceConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	eng := engineFromDocs(t, Options{Logsources: ls}, procCreationRule)
	ev := &event.Event{Fields: event.Fields{"kind": "exec", "Image": `c:\whoami.exe`, "cmd": "whoami /all"}, ECS: event.Fields{"event.dataset": "custom.edr"}}
	if len(eng.Detect(ev, nil)) != 1 {
		t.Error("override mapping should select custom.edr events with the renamed fallback")
	}
	sysmon := winEvent(event.DatasetWindowsSysmon, event.Fields{"EventID": int64(1), "Image": `C:\x\whoami.exe`, "CommandLine": "whoami /all"})
	if len(eng.Detect(sysmon, nil)) != 0 {
		t.Error("the override entry must win over the default for the same logsource")
	}
	if _, err := ParseLogsourceConfig([]byte("logsources:\n  - {select: [{dataset: x}]}\n")); err == nil {
		t.Error("an entry without product/category/service must be refused")
	}
}

func TestDefaultLogsourceConfigParses(t *testing.T) {
	cfg, err := ParseLogsourceConfig(defaultLogsourcesYAML)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Logsources) < 50 || len(cfg.Fallback) < 30 {
		t.Errorf("default config looks truncated: %d logsources, %d fallbacks", len(cfg.Logsources), len(cfg.Fallback))
	}
}

// TestRenamesCoverSigmaFieldNames checks the renames of the default mapping
// against SigmaHQ's list of field names per logsource: a rename target key
// must be a field Sigma allows for that logsource.
func TestRenamesCoverSigmaFieldNames(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "sigma", "tests", "logsource.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Legit map[string]struct {
			Common   []string            `json:"common"`
			Category map[string][]string `json:"category"`
			Service  map[string][]string `json:"service"`
		} `json:"legit"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range DefaultLogsourceConfig().Logsources {
		prod, ok := doc.Legit[e.Product]
		if !ok {
			continue
		}
		allowed := map[string]bool{}
		for _, f := range prod.Common {
			allowed[f] = true
		}
		for _, f := range prod.Category[e.Category] {
			allowed[f] = true
		}
		for _, f := range prod.Service[e.Service] {
			allowed[f] = true
		}
		for _, s := range e.Select {
			for sigmaField := range s.Rename {
				checked++
				if !allowed[sigmaField] {
					t.Errorf("%s: renamed field %q is not a SigmaHQ field of that logsource", e.key(), sigmaField)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no rename was checked against logsource.json")
	}
}

func TestAuditdProcessCreation(t *testing.T) {
	rule := `title: Base64 decode
id: aaaaaaaa-0000-0000-0000-0000000000a1
logsource: {product: linux, category: process_creation}
detection:
  sel: {CommandLine|contains: 'base64 -d'}
  condition: sel
`
	eng := engineFromDocs(t, Options{}, rule)
	execve := &event.Event{Fields: event.Fields{"type": "EXECVE", "cmdline": "echo x | base64 -d"}, ECS: event.Fields{"event.dataset": event.DatasetLinuxAuditd}}
	if len(eng.Detect(execve, nil)) != 1 {
		t.Error("auditd EXECVE cmdline should be read as CommandLine")
	}
	syscall := &event.Event{Fields: event.Fields{"type": "SYSCALL", "cmdline": "echo x | base64 -d"}, ECS: event.Fields{"event.dataset": event.DatasetLinuxAuditd}}
	if len(eng.Detect(syscall, nil)) != 0 {
		t.Error("only EXECVE records are process creations")
	}
}

// TestOptionsFromFiles loads the operator's two files the way serve and scan
// do, and names the file at fault when one is bad.
func TestOptionsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ph := write("ph.yml", "placeholders:\n  Admins_Workstations: [ws-admin-01, jump-*]\n")
	ls := write("ls.yml", "logsources:\n  - {product: windows, category: process_creation, select: [{dataset: custom.edr}]}\n")
	badPH := write("bad-ph.yml", "placeholders: [unclosed\n")
	badLS := write("bad-ls.yml", "logsources:\n  - {select: [{dataset: x}]}\n")

	opts, err := OptionsFromFiles(ph, ls)
	if err != nil {
		t.Fatal(err)
	}
	if got := opts.Placeholders["Admins_Workstations"]; len(got) != 2 || got[1] != "jump-*" {
		t.Errorf("placeholders = %v", opts.Placeholders)
	}
	eng := engineFromDocs(t, opts, procCreationRule)
	edr := &event.Event{Fields: event.Fields{"Image": `c:\whoami.exe`, "CommandLine": "whoami /all"}, ECS: event.Fields{"event.dataset": "custom.edr"}}
	if len(eng.Detect(edr, nil)) != 1 {
		t.Error("the mapping file's logsource entry was not applied")
	}
	if none, err := OptionsFromFiles("", ""); err != nil || none.Placeholders != nil || none.Logsources != nil {
		t.Errorf("no files: %+v, %v", none, err)
	}
	for _, tc := range []struct{ ph, ls, want string }{
		{badPH, "", "bad-ph.yml"},
		{"", badLS, "bad-ls.yml"},
		{dir + "/missing.yml", "", "missing.yml"},
	} {
		if _, err := OptionsFromFiles(tc.ph, tc.ls); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OptionsFromFiles(%q, %q) = %v, want an error naming %s", tc.ph, tc.ls, err, tc.want)
		}
	}
}
