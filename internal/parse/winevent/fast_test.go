package winevent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/shareddata"
)

// TestFastPathAgrees holds Parse (flattener) to parseDecoded
// (encoding/json + FromMap) on every python-evtx line of the corpus, every
// evtx_dump document of the SigmaHQ regression data and the testdata forms.
func TestFastPathAgrees(t *testing.T) {
	var inputs [][]byte
	files, _ := filepath.Glob(shareddata.Path(t, "evtx-attack-samples-jsonl", "*.jsonl"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			inputs = append(inputs, append([]byte(nil), sc.Bytes()...))
		}
	}
	err := filepath.WalkDir(shareddata.Path(t, "sigma", "regression_data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && filepath.Ext(p) == ".json" {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			// Some samples hold several documents one after the other.
			dec := json.NewDecoder(bytes.NewReader(b))
			for {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					break
				}
				inputs = append(inputs, raw)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"evtx_dump.json", "python_evtx.jsonl", "winlogbeat.json", "nxlog.json"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		inputs = append(inputs, b)
	}
	if len(inputs) < 7000 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	bad := 0
	for _, in := range inputs {
		fast, err1 := Parse(in)
		slow, err2 := parseDecoded(bytes.TrimSpace(in))
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(fast, slow) {
			bad++
			if bad <= 5 {
				t.Errorf("fast and decoded paths differ on %.200s:\nfast %v %v\nslow %v %v", in, fast, err1, slow, err2)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d inputs differ", bad, len(inputs))
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "python_evtx.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// systemKey is strings.Cut of the key without its first "#attributes.".
func TestSystemKey(t *testing.T) {
	for _, k := range []string{
		"EventID", "Provider.#attributes.Name", "#attributes.xmlns", "TimeCreated.#attributes.SystemTime",
		"Execution.#attributes.ProcessID", "EventID.#text", "Provider.Name", "A.B.#attributes.C",
		"#attributes.", "X.#attributes.", ".#attributes.Y", "#attributes.A.#attributes.B", "",
	} {
		head, leaf, nested := systemKey(k)
		wantHead, wantLeaf, wantNested := strings.Cut(strings.Replace(k, "#attributes.", "", 1), ".")
		if head != wantHead || leaf != wantLeaf || nested != wantNested {
			t.Errorf("systemKey(%q) = %q, %q, %v; want %q, %q, %v", k, head, leaf, nested, wantHead, wantLeaf, wantNested)
		}
	}
}
