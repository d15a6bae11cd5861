package sigma

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

// compileRule builds an engine from one rule document whose logsource is
// unmapped, evaluated against every event.
func compileRule(t *testing.T, doc string, opts Options) *Engine {
	t.Helper()
	opts.EvaluateUnmapped = true
	return engineFromDocs(t, opts, doc)
}

func ruleWith(detection string) string {
	return "title: test\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n  product: test\ndetection:\n" + detection
}

func fieldsEvent(kv ...any) *event.Event {
	ev := &event.Event{Fields: event.Fields{}, ECS: event.Fields{}}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Fields[kv[i].(string)] = kv[i+1]
	}
	return ev
}

type semanticsCase struct {
	name  string
	det   string // detection body, indented by two spaces
	ev    *event.Event
	match bool
}

func runSemantics(t *testing.T, cases []semanticsCase, opts Options) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := compileRule(t, ruleWith(tc.det), opts)
			got := len(eng.Detect(tc.ev, nil)) == 1
			if got != tc.match {
				t.Errorf("match = %v, want %v\ndetection:\n%s\nevent: %v", got, tc.match, tc.det, tc.ev.Fields)
			}
		})
	}
}

func TestValueSemantics(t *testing.T) {
	cmd := func(s string) *event.Event { return fieldsEvent("CommandLine", s) }
	runSemantics(t, []semanticsCase{
		{"exact case-insensitive", "  sel:\n    CommandLine: 'WHOAMI'\n  condition: sel", cmd("whoami"), true},
		{"exact is not substring", "  sel:\n    CommandLine: 'whoami'\n  condition: sel", cmd("whoami /all"), false},
		{"cased exact", "  sel:\n    CommandLine|cased: 'WHOAMI'\n  condition: sel", cmd("whoami"), false},
		{"cased exact hit", "  sel:\n    CommandLine|cased: 'WhoAmI'\n  condition: sel", cmd("WhoAmI"), true},
		{"star wildcard", "  sel:\n    CommandLine: 'who*all'\n  condition: sel", cmd("whoami /all"), true},
		{"question wildcard", "  sel:\n    CommandLine: 'who?mi'\n  condition: sel", cmd("whoami"), true},
		{"question needs one char", "  sel:\n    CommandLine: 'who?ami'\n  condition: sel", cmd("whoami"), false},
		{"question is one rune", "  sel:\n    CommandLine: 'caf?'\n  condition: sel", cmd("café"), true},
		{"escaped star is literal", "  sel:\n    CommandLine: 'a\\*b'\n  condition: sel", cmd("a*b"), true},
		{"escaped star no wildcard", "  sel:\n    CommandLine: 'a\\*b'\n  condition: sel", cmd("axxb"), false},
		{"escaped question literal", "  sel:\n    CommandLine: 'a\\?'\n  condition: sel", cmd("a?"), true},
		{"escaped backslash then star", "  sel:\n    CommandLine: 'c:\\\\*'\n  condition: sel", cmd(`c:\windows`), true},
		{"plain backslash literal", "  sel:\n    CommandLine: 'C:\\Windows\\System32\\cmd.exe'\n  condition: sel", cmd(`c:\windows\system32\cmd.exe`), true},
		{"lone star needs field", "  sel:\n    Other: '*'\n  condition: sel", cmd("x"), false},
		{"lone star any value", "  sel:\n    CommandLine: '*'\n  condition: sel", cmd(""), true},
		{"contains", "  sel:\n    CommandLine|contains: 'AMI'\n  condition: sel", cmd("whoami /all"), true},
		{"startswith", "  sel:\n    CommandLine|startswith: 'who'\n  condition: sel", cmd("whoami"), true},
		{"startswith miss", "  sel:\n    CommandLine|startswith: 'ami'\n  condition: sel", cmd("whoami"), false},
		{"endswith", "  sel:\n    CommandLine|endswith: '/ALL'\n  condition: sel", cmd("whoami /all"), true},
		{"contains with inner wildcard", "  sel:\n    CommandLine|contains: 'who*all'\n  condition: sel", cmd("x whoami /all y"), true},
		{"list is OR", "  sel:\n    CommandLine|contains:\n      - foo\n      - ami\n  condition: sel", cmd("whoami"), true},
		{"all is AND hit", "  sel:\n    CommandLine|contains|all:\n      - who\n      - /all\n  condition: sel", cmd("whoami /all"), true},
		{"all is AND miss", "  sel:\n    CommandLine|contains|all:\n      - who\n      - /priv\n  condition: sel", cmd("whoami /all"), false},
		{"map is AND", "  sel:\n    CommandLine|contains: who\n    User: bob\n  condition: sel", fieldsEvent("CommandLine", "whoami", "User", "alice"), false},
		{"list of maps is OR", "  sel:\n    - CommandLine: x\n    - User: alice\n  condition: sel", fieldsEvent("CommandLine", "whoami", "User", "alice"), true},
		{"number equals int", "  sel:\n    EventID: 4688\n  condition: sel", fieldsEvent("EventID", int64(4688)), true},
		{"number equals string", "  sel:\n    EventID: 4688\n  condition: sel", fieldsEvent("EventID", "4688"), true},
		{"number list", "  sel:\n    EventID:\n      - 1\n      - 4688\n  condition: sel", fieldsEvent("EventID", int64(1)), true},
		{"bool value", "  sel:\n    Initiated: true\n  condition: sel", fieldsEvent("Initiated", true), true},
		{"bool value as string", "  sel:\n    Initiated: 'true'\n  condition: sel", fieldsEvent("Initiated", "True"), true},
		{"null matches absent", "  sel:\n    Missing: null\n  condition: sel", cmd("x"), true},
		{"null matches nil", "  sel:\n    CommandLine: null\n  condition: sel", fieldsEvent("CommandLine", nil), true},
		{"null misses present", "  sel:\n    CommandLine: null\n  condition: sel", cmd("x"), false},
		{"empty matches empty", "  sel:\n    CommandLine: ''\n  condition: sel", cmd(""), true},
		{"empty misses absent", "  sel:\n    Missing: ''\n  condition: sel", cmd("x"), false},
		{"empty misses value", "  sel:\n    CommandLine: ''\n  condition: sel", cmd("x"), false},
		{"list value any element", "  sel:\n    Tags: b\n  condition: sel", fieldsEvent("Tags", []any{"a", "B"}), true},
		{"exists true", "  sel:\n    CommandLine|exists: true\n  condition: sel", cmd(""), true},
		{"exists false", "  sel:\n    CommandLine|exists: false\n  condition: sel", cmd(""), false},
		{"exists false absent", "  sel:\n    Missing|exists: false\n  condition: sel", cmd(""), true},
		{"neq differs", "  sel:\n    User|neq: admin\n  condition: sel", fieldsEvent("User", "bob"), true},
		{"neq equal", "  sel:\n    User|neq: ADMIN\n  condition: sel", fieldsEvent("User", "admin"), false},
		{"neq list none equal", "  sel:\n    User|neq:\n      - admin\n      - root\n  condition: sel", fieldsEvent("User", "root"), false},
		{"neq number", "  sel:\n    EventID|neq: 4688\n  condition: sel", fieldsEvent("EventID", int64(4689)), true},
		{"neq absent field", "  sel:\n    User|neq: admin\n  condition: sel", cmd("x"), false},
		{"many exact values (set)", "  sel:\n    User:\n      - a\n      - b\n      - c\n      - d\n      - e*\n  condition: sel", fieldsEvent("User", "D"), true},
		{"many exact values glob", "  sel:\n    User:\n      - a\n      - b\n      - c\n      - d\n      - e*\n  condition: sel", fieldsEvent("User", "Eve"), true},
	}, Options{})
}

func TestWindash(t *testing.T) {
	det := "  sel:\n    CommandLine|windash|contains: ' -exec '\n  condition: sel"
	for _, dash := range []string{"-", "/", "\u2013", "\u2014", "\u2015"} {
		runSemantics(t, []semanticsCase{{"dash " + dash, det, fieldsEvent("CommandLine", "x.exe "+dash+"exec bypass"), true}}, Options{})
	}
	runSemantics(t, []semanticsCase{
		{"other char", det, fieldsEvent("CommandLine", "x.exe +exec bypass"), false},
		{"contains then windash", "  sel:\n    CommandLine|contains|windash: '-s '\n  condition: sel", fieldsEvent("CommandLine", "net /s x"), true},
		{"two flags permute", "  sel:\n    CommandLine|windash: 'a -b -c'\n  condition: sel", fieldsEvent("CommandLine", "a /b \u2014c"), true},
		{"dash inside word kept", "  sel:\n    CommandLine|windash: 'x-y'\n  condition: sel", fieldsEvent("CommandLine", "x/y"), false},
	}, Options{})
	vs, err := parsePattern("a -b -c").windash()
	if err != nil || len(vs) != 25 {
		t.Fatalf("two flags: %d variants, err %v; want 25", len(vs), err)
	}
}

func TestRegexModifiers(t *testing.T) {
	runSemantics(t, []semanticsCase{
		{"re case-sensitive", "  sel:\n    CommandLine|re: 'Who.mi'\n  condition: sel", fieldsEvent("CommandLine", "whoami"), false},
		{"re hit", "  sel:\n    CommandLine|re: 'wh[o]+ami$'\n  condition: sel", fieldsEvent("CommandLine", "whoami"), true},
		{"re unanchored", "  sel:\n    CommandLine|re: 'oam'\n  condition: sel", fieldsEvent("CommandLine", "whoami"), true},
		{"re i", "  sel:\n    CommandLine|re|i: 'Who.mi'\n  condition: sel", fieldsEvent("CommandLine", "whoami"), true},
		{"re m", "  sel:\n    CommandLine|re|m: '^b$'\n  condition: sel", fieldsEvent("CommandLine", "a\nb\nc"), true},
		{"re without m", "  sel:\n    CommandLine|re: '^b$'\n  condition: sel", fieldsEvent("CommandLine", "a\nb\nc"), false},
		{"re s", "  sel:\n    CommandLine|re|s: 'a.b'\n  condition: sel", fieldsEvent("CommandLine", "a\nb"), true},
		{"re without s", "  sel:\n    CommandLine|re: 'a.b'\n  condition: sel", fieldsEvent("CommandLine", "a\nb"), false},
	}, Options{})
}

func TestEncodingModifiers(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString
	b64 := func(s string) *event.Event { return fieldsEvent("CommandLine", "powershell -enc "+enc([]byte(s))) }
	cases := []semanticsCase{
		{"base64 exact", "  sel:\n    Data|base64: 'whoami'\n  condition: sel", fieldsEvent("Data", enc([]byte("whoami"))), true},
		{"base64 contains", "  sel:\n    CommandLine|base64|contains: 'IEX'\n  condition: sel", b64("IEX"), true},
		{"utf16le", "  sel:\n    Data|utf16le: 'cmd'\n  condition: sel", fieldsEvent("Data", "c\x00m\x00d\x00"), true},
		{"wide alias", "  sel:\n    Data|wide: 'cmd'\n  condition: sel", fieldsEvent("Data", "c\x00m\x00d\x00"), true},
		{"utf16be", "  sel:\n    Data|utf16be: 'cmd'\n  condition: sel", fieldsEvent("Data", "\x00c\x00m\x00d"), true},
		{"utf16 BOM", "  sel:\n    Data|utf16: 'cmd'\n  condition: sel", fieldsEvent("Data", "\xff\xfec\x00m\x00d\x00"), true},
		{"utf16 BOM required", "  sel:\n    Data|utf16: 'cmd'\n  condition: sel", fieldsEvent("Data", "c\x00m\x00d\x00"), false},
	}
	for shift := 0; shift < 3; shift++ {
		for _, tail := range []string{"", "x", "xy"} {
			payload := strings.Repeat("A", shift) + "/bin/bash -c id" + tail
			cases = append(cases, semanticsCase{
				fmt.Sprintf("base64offset shift %d tail %q", shift, tail),
				"  sel:\n    CommandLine|base64offset|contains: '/bin/bash'\n  condition: sel", b64(payload), true})
		}
	}
	wide := func(s string) string { return utf16String(s, false) }
	for shift := 0; shift < 3; shift++ {
		cases = append(cases, semanticsCase{
			fmt.Sprintf("wide base64offset shift %d", shift),
			"  sel:\n    CommandLine|wide|base64offset|contains: 'Invoke-'\n  condition: sel",
			b64(strings.Repeat("Z", shift) + wide("x Invoke-Expression")), true})
	}
	cases = append(cases, semanticsCase{"base64offset miss", "  sel:\n    CommandLine|base64offset|contains: '/bin/bash'\n  condition: sel", b64("/bin/sh -c id"), false})
	runSemantics(t, cases, Options{})

	// The spec's example of the three variants.
	got, err := parsePattern("/bin/bash").base64Offsets()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}
	for i, p := range got {
		if p.text() != want[i] {
			t.Errorf("base64offset variant %d = %q, want %q", i, p.text(), want[i])
		}
	}
}

func TestNumericTimeCIDRModifiers(t *testing.T) {
	runSemantics(t, []semanticsCase{
		{"lt", "  sel:\n    Count|lt: 10\n  condition: sel", fieldsEvent("Count", int64(9)), true},
		{"lt equal", "  sel:\n    Count|lt: 10\n  condition: sel", fieldsEvent("Count", int64(10)), false},
		{"lte", "  sel:\n    Count|lte: 10\n  condition: sel", fieldsEvent("Count", "10"), true},
		{"gt float", "  sel:\n    Count|gt: 1.5\n  condition: sel", fieldsEvent("Count", 1.6), true},
		{"gte", "  sel:\n    Count|gte: 10\n  condition: sel", fieldsEvent("Count", int64(9)), false},
		{"gt not number", "  sel:\n    Count|gt: 1\n  condition: sel", fieldsEvent("Count", "many"), false},
		{"hour", "  sel:\n    Time|hour: 3\n  condition: sel", fieldsEvent("Time", "2024-05-01T03:04:05Z"), true},
		{"hour miss", "  sel:\n    Time|hour: 4\n  condition: sel", fieldsEvent("Time", "2024-05-01T03:04:05Z"), false},
		{"minute", "  sel:\n    Time|minute: 4\n  condition: sel", fieldsEvent("Time", "2024-05-01 03:04:05"), true},
		{"day", "  sel:\n    Time|day: 1\n  condition: sel", fieldsEvent("Time", "2024-05-01T03:04:05Z"), true},
		{"week", "  sel:\n    Time|week: 18\n  condition: sel", fieldsEvent("Time", "2024-05-01T03:04:05Z"), true},
		{"month", "  sel:\n    Time|month: 5\n  condition: sel", fieldsEvent("Time", "2024-05-01T03:04:05Z"), true},
		{"year", "  sel:\n    Time|year: 2024\n  condition: sel", fieldsEvent("Time", "2024-05-01T03:04:05Z"), true},
		{"hour with gte", "  sel:\n    Time|hour|gte: 18\n  condition: sel", fieldsEvent("Time", "2024-05-01T21:00:00Z"), true},
		{"timestamp field", "  sel:\n    '@timestamp|hour': 7\n  condition: sel", &event.Event{Timestamp: time.Date(2024, 1, 2, 7, 0, 0, 0, time.UTC)}, true},
		{"cidr v4", "  sel:\n    SourceIp|cidr: 10.0.0.0/8\n  condition: sel", fieldsEvent("SourceIp", "10.1.2.3"), true},
		{"cidr v4 miss", "  sel:\n    SourceIp|cidr: 10.0.0.0/8\n  condition: sel", fieldsEvent("SourceIp", "11.1.2.3"), false},
		{"cidr v4 list", "  sel:\n    SourceIp|cidr:\n      - 192.168.0.0/16\n      - 172.16.0.0/12\n  condition: sel", fieldsEvent("SourceIp", "172.20.0.1"), true},
		{"cidr v6", "  sel:\n    SourceIp|cidr: 'fe80::/10'\n  condition: sel", fieldsEvent("SourceIp", "fe80::1"), true},
		{"cidr v6 miss", "  sel:\n    SourceIp|cidr: 'fe80::/10'\n  condition: sel", fieldsEvent("SourceIp", "2001:db8::1"), false},
		{"cidr v4-mapped v6", "  sel:\n    SourceIp|cidr: 10.0.0.0/8\n  condition: sel", fieldsEvent("SourceIp", "::ffff:10.0.0.1"), true},
		{"cidr not an ip", "  sel:\n    SourceIp|cidr: 10.0.0.0/8\n  condition: sel", fieldsEvent("SourceIp", "host"), false},
	}, Options{})
}

func TestFieldrefAndExpand(t *testing.T) {
	runSemantics(t, []semanticsCase{
		{"fieldref equal", "  sel:\n    SubjectUserName|fieldref: TargetUserName\n  condition: sel", fieldsEvent("SubjectUserName", "Bob", "TargetUserName", "bob"), true},
		{"fieldref differ", "  sel:\n    SubjectUserName|fieldref: TargetUserName\n  condition: sel", fieldsEvent("SubjectUserName", "bob", "TargetUserName", "alice"), false},
		{"fieldref neq", "  sel:\n    SubjectUserName|fieldref|neq: TargetUserName\n  condition: sel", fieldsEvent("SubjectUserName", "bob", "TargetUserName", "alice"), true},
		{"fieldref missing ref", "  sel:\n    SubjectUserName|fieldref: TargetUserName\n  condition: sel", fieldsEvent("SubjectUserName", "bob"), false},
		{"fieldref endswith", "  sel:\n    Image|fieldref|endswith: Name\n  condition: sel", fieldsEvent("Image", `C:\x\cmd.exe`, "Name", "CMD.exe"), true},
		{"expand", "  sel:\n    Computer|expand: '%Admins_Workstations%'\n  condition: sel", fieldsEvent("Computer", "WS-ADMIN-2"), true},
		{"expand with wildcard value", "  sel:\n    Computer|expand: '%Admins_Workstations%'\n  condition: sel", fieldsEvent("Computer", "jump-17"), true},
		{"expand miss", "  sel:\n    Computer|expand: '%Admins_Workstations%'\n  condition: sel", fieldsEvent("Computer", "ws-user-1"), false},
		{"expand inside text", "  sel:\n    Path|expand|startswith: 'C:\\Users\\%user%\\'\n  condition: sel", fieldsEvent("Path", `c:\users\bob\x`), true},
		{"expand unresolved matches nothing", "  sel:\n    Computer|expand: '%Unknown%'\n  condition: sel", fieldsEvent("Computer", "%Unknown%"), false},
	}, Options{Placeholders: map[string][]string{"Admins_Workstations": {"ws-admin-1", "ws-admin-2", "jump-*"}, "user": {"bob"}}})
	runSemantics(t, []semanticsCase{
		{"unresolved as wildcard", "  sel:\n    Computer|expand: '%Unknown%'\n  condition: sel", fieldsEvent("Computer", "anything"), true},
		{"unresolved wildcard inside text", "  sel:\n    Path|expand: 'C:\\Users\\%user%\\x'\n  condition: sel", fieldsEvent("Path", `c:\users\eve\x`), true},
		{"unresolved wildcard needs the rest", "  sel:\n    Path|expand: 'C:\\Users\\%user%\\x'\n  condition: sel", fieldsEvent("Path", `c:\users\eve\y`), false},
	}, Options{WildcardPlaceholders: true})
}

func TestKeywords(t *testing.T) {
	ev := &event.Event{Raw: "Failed password for root from 10.0.0.1", Fields: event.Fields{"program": "sshd"}, ECS: event.Fields{"user.name": "root"}}
	runSemantics(t, []semanticsCase{
		{"keyword in raw", "  keywords:\n    - 'failed PASSWORD'\n  condition: keywords", ev, true},
		{"keyword in field", "  keywords:\n    - 'SSHD'\n  condition: keywords", ev, true},
		{"keyword miss", "  keywords:\n    - 'accepted'\n  condition: keywords", ev, false},
		{"keyword list OR", "  keywords:\n    - 'accepted'\n    - 'from 10.0.0'\n  condition: keywords", ev, true},
		{"keyword wildcard", "  keywords:\n    - 'failed*root'\n  condition: keywords", ev, true},
		{"keyword all", "  keywords:\n    '|all':\n      - failed\n      - sshd\n  condition: keywords", ev, true},
		{"keyword all miss", "  keywords:\n    '|all':\n      - failed\n      - accepted\n  condition: keywords", ev, false},
		{"keyword and field", "  keywords:\n    - failed\n  sel:\n    program: sshd\n  condition: keywords and sel", ev, true},
		{"keyword cased", "  keywords:\n    '|cased':\n      - 'failed password'\n  condition: keywords", ev, false},
	}, Options{})
}

func TestConditions(t *testing.T) {
	ev := fieldsEvent("A", "1", "B", "1", "C", "0")
	sels := "  sel_a:\n    A: 1\n  sel_b:\n    B: 1\n  sel_c:\n    C: 1\n  _helper:\n    C: 0\n  filter_x:\n    C: 1\n"
	cases := []struct {
		cond  string
		match bool
	}{
		{"sel_a", true},
		{"sel_c", false},
		{"sel_a and sel_b", true},
		{"sel_a and sel_c", false},
		{"sel_a or sel_c", true},
		{"not sel_c", true},
		{"not sel_a", false},
		{"sel_c or sel_a and sel_b", true},
		{"(sel_c or sel_a) and sel_c", false},
		{"sel_c and sel_a or sel_b", true},
		{"not sel_a or sel_b", true},
		{"not (sel_a or sel_c)", false},
		{"1 of sel_*", true},
		{"all of sel_*", false},
		{"all of sel_a*", true},
		{"2 of sel_*", true},
		{"3 of sel_*", false},
		{"1 of them", true},
		{"all of them", false},
		{"all of sel_a or all of sel_b", true},
		{"sel_a and not 1 of filter_*", true},
		{"sel_a and 1 of filter_*", false},
		{"_helper", true},
		{"[A-Z]", false},
	}
	for _, tc := range cases {
		t.Run(tc.cond, func(t *testing.T) {
			doc := ruleWith(sels + "  condition: " + tc.cond)
			rules, rej := ParseRules("t.yml", []byte(doc))
			set := &RuleSet{}
			set.Add(rules...)
			rej = append(rej, set.validate()...)
			if tc.cond == "[A-Z]" {
				if len(rej) != 1 || !strings.Contains(rej[0].Reason, "column 1") {
					t.Fatalf("want a rejection pointing at column 1, got %v", rej)
				}
				return
			}
			if len(rej) > 0 {
				t.Fatal(rej)
			}
			eng, err := NewEngine(set, Options{EvaluateUnmapped: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(eng.Detect(ev, nil)) == 1; got != tc.match {
				t.Errorf("match = %v, want %v", got, tc.match)
			}
		})
	}
	// "them" skips identifiers starting with "_": with only _helper false
	// and sel_a true, all of them must still be decided by the others.
	doc := ruleWith("  sel_a:\n    A: 1\n  _never:\n    A: 2\n  condition: all of them")
	eng := compileRule(t, doc, Options{})
	if len(eng.Detect(ev, nil)) != 1 {
		t.Error("all of them must skip _-prefixed identifiers")
	}
}

func TestMultipleConditionsAreOred(t *testing.T) {
	doc := ruleWith("  a:\n    A: 1\n  b:\n    B: 1\n  condition:\n    - a\n    - b")
	eng := compileRule(t, doc, Options{})
	if len(eng.Detect(fieldsEvent("B", "1"), nil)) != 1 {
		t.Error("second condition should match")
	}
}

func TestMatchCarriesMetadata(t *testing.T) {
	doc := `title: Meta
id: 11111111-2222-3333-4444-555555555555
level: high
status: test
tags: [attack.execution, attack.t1059.001]
falsepositives: [Admin scripts]
logsource: {product: test}
detection:
  sel: {A: x}
  condition: sel
`
	eng := compileRule(t, doc, Options{})
	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := &event.Event{Tenant: "t1", Timestamp: ts, Fields: event.Fields{"A": "X"}}
	ms := eng.Detect(ev, nil)
	if len(ms) != 1 {
		t.Fatalf("got %d matches", len(ms))
	}
	m := ms[0]
	want := detect.Match{Tenant: "t1", RuleID: "11111111-2222-3333-4444-555555555555", RuleTitle: "Meta", Level: "high", Time: ts}
	if m.Tenant != want.Tenant || m.RuleID != want.RuleID || m.RuleTitle != want.RuleTitle || m.Level != want.Level || !m.Time.Equal(ts) {
		t.Errorf("match = %+v", m)
	}
	if strings.Join(m.Tags, ",") != "attack.execution,attack.t1059.001" || strings.Join(m.FalsePositives, ",") != "Admin scripts" {
		t.Errorf("tags %v falsepositives %v", m.Tags, m.FalsePositives)
	}
	if len(m.Events) != 1 || m.Events[0] != ev {
		t.Errorf("events = %v", m.Events)
	}
}

func TestLongLineRegexp(t *testing.T) {
	long := strings.Repeat("a", 1000)
	runSemantics(t, []semanticsCase{
		{"re .{1000,} long", "  sel:\n    CommandLine|re: '.{1000,}'\n  condition: sel", fieldsEvent("CommandLine", long), true},
		{"re .{1000,} short", "  sel:\n    CommandLine|re: '.{1000,}'\n  condition: sel", fieldsEvent("CommandLine", long[1:]), false},
		{"re .{1000,} newline splits", "  sel:\n    CommandLine|re: '.{1000,}'\n  condition: sel", fieldsEvent("CommandLine", long[:500]+"\n"+long[:500]), false},
		{"re ^.{3,}$ multibyte", "  sel:\n    CommandLine|re: '^.{3,}$'\n  condition: sel", fieldsEvent("CommandLine", "héé"), true},
		{"re .{3,} two runes", "  sel:\n    CommandLine|re: '.{3,}'\n  condition: sel", fieldsEvent("CommandLine", "éé"), false},
	}, Options{})
	for expr, want := range map[string]int{".{1000,}": 1000, ".{3,}": 3, ".{2,}.*": 2, ".+": 1} {
		n, ok := longLineRegexp(regexp.MustCompile(expr))
		if !ok || n != want {
			t.Errorf("longLineRegexp(%q) = %d, %v; want %d", expr, n, ok, want)
		}
	}
	for _, expr := range []string{"a.{3,}", ".{3,10}", "(?s).{3,}", "x", "^.{3,}$", ".*"} {
		if _, ok := longLineRegexp(regexp.MustCompile(expr)); ok {
			t.Errorf("longLineRegexp(%q) should not apply", expr)
		}
	}
}

func TestLowerString(t *testing.T) {
	c := newEvalCtx(0, 0)
	for _, s := range []string{"", "abc", "ABC", "C:\\Windows\\System32\\CMD.EXE /C WHOAMI", "@[`{AZaz09", "MiXeD cAsE 12345678 ABCDEFGH", "ÉCOLE Straße", "abcdefgh\xffABC"} {
		if got, want := c.lowerString(s), strings.ToLower(s); got != want {
			t.Errorf("lowerString(%q) = %q, want %q", s, got, want)
		}
	}
	for b := 0; b < 128; b++ {
		s := strings.Repeat(string(rune(b)), 9)
		if got, want := c.lowerString(s), strings.ToLower(s); got != want {
			t.Errorf("byte %#x: %q, want %q", b, got, want)
		}
	}
}
