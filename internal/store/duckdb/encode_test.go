package duckdb

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

// The fast encoder writes valid JSON that decodes to what encoding/json's
// encoding of the same map decodes to.
func TestAppendFieldsMatchesEncodingJSON(t *testing.T) {
	cases := []event.Fields{
		{},
		{"a": "plain", "b": int64(-42), "c": true, "d": nil, "e": 1.5, "f": 1e21, "g": 0.000001},
		{"html": "<script>&</script>", "ctl": "tab\tnl\nnul\x00bell\x07\x1f", "q": `"quoted" \back\`},
		{"utf8": "日本語 ü", "bad": "a\xffb\xc3", "seps": "x\u2028y\u2029z", "emoji": "🙂"},
		{"list": []any{"x", int64(1), nil, false, 2.25, []any{"nested"}}, "strs": []string{"a", "<b>"}, "nilstrs": []string(nil)},
		{"int": 7, "map": map[string]any{"k": "v"}},
		{"z.y": "1", "a.b": "2", "A": "3", "_": "4"},
	}
	for i, f := range cases {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendFields(nil, f, nil)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !json.Valid(got) {
			t.Fatalf("case %d: not valid JSON: %s", i, got)
		}
		var gotV, wantV any
		json.Unmarshal(got, &gotV)
		json.Unmarshal(want, &wantV)
		if !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("<a href=\"x\">\u2028\xff</a>")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		got := appendString(nil, s)
		var gotS, wantS string
		if err := json.Unmarshal(got, &gotS); err != nil {
			t.Fatalf("%q: %s is not a JSON string: %v", s, got, err)
		}
		json.Unmarshal(want, &wantS)
		if gotS != wantS {
			t.Errorf("%q: got %s (%q), want %s (%q)", s, got, gotS, want, wantS)
		}
		if bytes.Contains(got, []byte("\u2028")) != bytes.Contains(want, []byte("\u2028")) {
			t.Errorf("%q: U+2028 escaped differently: got %s, want %s", s, got, want)
		}
	})
}

func BenchmarkAppendFields(b *testing.B) {
	f := event.Fields{"event.dataset": "linux.auth", "host.name": "web-01", "user.name": "user1", "source.ip": "10.0.1.2",
		"process.name": "sshd", "process.pid": int64(1000), "message": "Failed password for user1 from 10.0.1.2 port 1025 ssh2",
		"event.outcome": "failure", "event.category": []any{"authentication"}, "event.kind": "event"}
	b.Run("appendFields", func(b *testing.B) {
		var buf []byte
		for range b.N {
			buf, _ = appendFields(buf[:0], f, nil)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for range b.N {
			json.Marshal(f)
		}
	})
}

// BenchmarkAppendFieldsWindows encodes the fields of a Sysmon process
// creation: long paths, a command line, hashes.
func BenchmarkAppendFieldsWindows(b *testing.B) {
	f := event.Fields{"EventID": int64(1), "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "WS-023.corp.example.com",
		"UtcTime": "2026-11-02 09:14:07.123", "ProcessGuid": "{5AA13C80-6ACB-B80B-5098-00000509823C}", "ProcessId": int64(4242),
		"Image":            `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"CommandLine":      `powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA`,
		"CurrentDirectory": `C:\Users\akiko.sato\Downloads\`, "User": `CORP\akiko.sato`, "LogonId": "0x3e7", "IntegrityLevel": "Medium",
		"Hashes":            "SHA256=9F914D42706FE215501044ACD85A32D58AAEF1419D404FDDFA5D3B48F66CCD9F,IMPHASH=0CE0DA6B6C3D4D5E6F708192A3B4C5D6",
		"ParentImage":       `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
		"ParentCommandLine": `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\akiko.sato\Downloads\invoice_2026_11.docm" /o ""`}
	var buf []byte
	for range b.N {
		buf, _ = appendFields(buf[:0], f, nil)
	}
}
