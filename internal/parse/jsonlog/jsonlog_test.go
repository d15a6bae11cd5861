package jsonlog

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/event"
)

func TestUnquote(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`"plain"`, "plain", true},
		{` "a\"b\\c\/d\n" `, "a\"b\\c/d\n", true},
		{`"\u00e9\ud83d\ude00"`, "é😀", true},
		// A high surrogate whose next escape is no partner: U+FFFD, and
		// the next escape is still read (it used to be swallowed).
		{`"\ud800\u0041"`, "\uFFFDA", true},
		{`"\udc00x"`, "\uFFFDx", true},
		{"\"a\xffb\"", "a\uFFFDb", true},
		{"\"tab\tin\"", "tab\tin", true},
		{`"x" y`, "", false},
		{`{"a":1}`, "", false},
		{`"open`, "", false},
		{`"bad \q escape"`, "", false},
	}
	for _, c := range cases {
		got, err := Unquote([]byte(c.in))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Unquote(%s) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// Whatever encoding/json reads as a string, Unquote reads the same.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"plain"`, ` "a\"b\\c\/d\n\t" `, `"\u00e9\ud83d\ude00"`, `"\ud800\u0041"`, `"\udc00x"`, `"a` + "\xff" + `b"`, `"x" y`, `"tab	in"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if json.Unmarshal(data, &want) != nil {
			Unquote(data) // must not panic; it may accept what encoding/json refuses
			return
		}
		got, err := Unquote(data)
		if err != nil || got != want {
			t.Errorf("Unquote(%q) = %q, %v; encoding/json reads %q", data, got, err, want)
		}
	})
}

// flattenKeysAgrees checks FlattenStringKeys against FlattenString: the
// same error or none, and exactly the kept leaves of the full result.
func flattenKeysAgrees(t *testing.T, data string, keys []string) {
	t.Helper()
	full := event.Fields{}
	errFull := FlattenString(data, full)
	got := event.Fields{}
	errKeys := FlattenStringKeys(data, got, NewKeySet(keys))
	if (errFull == nil) != (errKeys == nil) {
		t.Fatalf("%q keeping %v: error %v, the full decode's %v", data, keys, errKeys, errFull)
	}
	if errFull != nil {
		return
	}
	want := event.Fields{}
	for _, k := range keys {
		if v, ok := full[k]; ok {
			want[k] = v
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q keeping %v: got %v, want %v", data, keys, got, want)
	}
}

func TestFlattenStringKeys(t *testing.T) {
	for _, tc := range []struct {
		data string
		keys []string
	}{
		{`{"a":1,"b":"x\"y","c":[1,2],"d":{"e":true,"f":null}}`, []string{"b", "d.e"}},
		{`{"a":1,"b":"x","c":[1,2],"d":{"e":true}}`, []string{"c"}},
		{`{"a":[{"x":1},{"y":"\u00e9"}],"b":2}`, []string{"a.1.y"}},
		{`{"a":[{"x":1}],"b":{"c":{"d":[]}}}`, []string{"b.c.d", "zz"}},
		{`{"skip":{"deep":[1,{"x":"\\"}]},"k":"v"}`, []string{"k"}},
		{`{"a":1}`, nil},
		// Syntax errors in skipped values are still errors.
		{`{"skip":[1,2,"k":"v"}`, []string{"k"}},
		{`{"skip":"unterminated,"k":"v"}`, []string{"k"}},
		{`{"skip":{"a" 1},"k":"v"}`, []string{"k"}},
		{`{"skip":tru,"k":"v"}`, []string{"k"}},
		{`{"skip":[1,2],"k":"v"} trailing`, []string{"k"}},
	} {
		flattenKeysAgrees(t, tc.data, tc.keys)
	}
}

func FuzzFlattenStringKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":{"c":[1,{"d":"e"}]},"f":"g\"h"}`, `{"x":[[1],[2]],"y":null}`, `{"a":{"b":{"c":{}}}}`, `{"a":"\ud800"}`} {
		f.Add(s, uint8(0x55))
	}
	f.Fuzz(func(t *testing.T, data string, pick uint8) {
		full := event.Fields{}
		FlattenString(data, full)
		// Keep a pattern of the leaves and their parents, and a key that
		// is not there.
		keys := []string{"absent"}
		for i, k := range slices.Sorted(maps.Keys(full)) {
			if pick&(1<<(i%8)) != 0 {
				keys = append(keys, k)
				if dot := strings.LastIndexByte(k, '.'); dot > 0 {
					keys = append(keys, k[:dot])
				}
			}
		}
		flattenKeysAgrees(t, data, keys)
	})
}

// FlattenSplit stores the leaves of the named objects in their own maps,
// relative to the object, and everything else as FlattenString does.
func TestFlattenSplit(t *testing.T) {
	cases := []struct {
		name, in   string
		rest, sys  event.Fields
		data       event.Fields
		wantErrMsg string
	}{
		{
			name: "members of split objects are relative",
			in:   `{"Event":{"xmlns":"x","System":{"EventID":4688,"Provider":{"#attributes":{"Name":"P"}}},"EventData":{"Image":"a.exe","Data":["1","2"]}}}`,
			rest: event.Fields{"Event.xmlns": "x"},
			sys:  event.Fields{"EventID": int64(4688), "Provider.#attributes.Name": "P"},
			data: event.Fields{"Image": "a.exe", "Data": []any{"1", "2"}},
		},
		{
			name: "names inside a split object are not split again",
			in:   `{"Event":{"System":{"Event":{"EventData":{"x":1}}}}}`,
			rest: event.Fields{},
			sys:  event.Fields{"Event.EventData.x": int64(1)},
			data: event.Fields{},
		},
		{
			name: "a split name holding an array or a scalar stays with the rest",
			in:   `{"Event":{"System":[{"EventID":1}],"EventData":"text"}}`,
			rest: event.Fields{"Event.System.0.EventID": int64(1), "Event.EventData": "text"},
			sys:  event.Fields{},
			data: event.Fields{},
		},
		{
			name:       "syntax errors inside a split object are still errors",
			in:         `{"Event":{"System":{"EventID":}}}`,
			wantErrMsg: "expected a value",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rest, sys, data := event.Fields{}, event.Fields{}, event.Fields{}
			err := FlattenSplit(c.in, rest, map[string]event.Fields{"Event.System": sys, "Event.EventData": data})
			if c.wantErrMsg != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErrMsg) {
					t.Fatalf("error %v, want one saying %q", err, c.wantErrMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for label, pair := range map[string][2]event.Fields{"rest": {rest, c.rest}, "System": {sys, c.sys}, "EventData": {data, c.data}} {
				if !reflect.DeepEqual(pair[0], pair[1]) {
					t.Errorf("%s = %v, want %v", label, pair[0], pair[1])
				}
			}
		})
	}
}
