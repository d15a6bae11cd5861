package evtx

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// corpusRecords is the number of records in evtx-attack-samples as counted
// by the chunk headers; python-evtx (the jsonl reference) and libevtx's
// evtxinfo count the same. shared/data/README.md says 8,255, which no count
// reproduces: walking record headers past the chunk headers' counts in four
// dirty chunks gives 7,809, a scan for every record signature 19,201.
const corpusRecords = 7455

// evtxFiles lists the corpus files with their path relative to the corpus.
func evtxFiles(t testing.TB) (string, []string) {
	root := shareddata.Path(t, "evtx-attack-samples")
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".evtx") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return root, files
}

func TestCorpusParses(t *testing.T) {
	root, files := evtxFiles(t)
	total, bad := 0, 0
	for _, rel := range files {
		err := ReadFile(filepath.Join(root, rel), func(rec parse.Record, err error) error {
			total++
			if err != nil {
				bad++
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			if rec.Format != Format || rec.Time.IsZero() || rec.Fields["EventID"] == "" || rec.Fields["EventRecordID"] == "" {
				bad++
				t.Errorf("%s: incomplete record %v", rel, rec.Fields)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
	if total != corpusRecords || bad != 0 {
		t.Errorf("parsed %d records (%d bad), want %d", total, bad, corpusRecords)
	}
	t.Logf("%d files, %d records", len(files), total)
}

// mismatch classes the reference renders differently by design; each is
// explained where it is recognised (see compareValue).
type mismatch struct{ class, field string }

// TestMatchesPythonEvtx compares every record with the independent rendering
// of python-evtx in evtx-attack-samples-jsonl. The reference goes through
// the winevent parser (its python-evtx form) and then through normRef,
// which removes the differences of typing python-evtx introduces.
func TestMatchesPythonEvtx(t *testing.T) {
	root, files := evtxFiles(t)
	refRoot := shareddata.Path(t, "evtx-attack-samples-jsonl")
	classes := map[mismatch]int{}
	examples := map[mismatch]string{}
	compared, missingRef, fieldsCompared := 0, 0, 0
	for _, rel := range files {
		refName := strings.NewReplacer("/", "_", " ", "_").Replace(filepath.ToSlash(rel)) + ".jsonl"
		ref := loadRef(t, filepath.Join(refRoot, refName))
		err := ReadFile(filepath.Join(root, rel), func(rec parse.Record, err error) error {
			if err != nil {
				return nil // TestCorpusParses reports it
			}
			id, _ := rec.Fields["EventRecordID"].(string)
			want, ok := ref[id]
			if !ok {
				missingRef++
				return nil
			}
			compared++
			for k, wv := range want {
				gv, ok := rec.Fields[k]
				fieldsCompared++
				c := compareValue(k, gv, ok, wv)
				if c == "missing" && unnamedData(k, wv, rec.Fields) {
					c = ""
				}
				if c == "" {
					continue
				}
				m := mismatch{c, k}
				classes[m]++
				if _, seen := examples[m]; !seen {
					examples[m] = fmt.Sprintf("%s#%s: got %q want %q", rel, id, event.String(gv), event.String(wv))
				}
			}
			for k, gv := range rec.Fields {
				if _, ok := want[k]; !ok && event.String(gv) != "" && !onlyOurs[k] && !(hasDataN(want) && (k == "Data" || k == "Binary")) {
					m := mismatch{"extra", k}
					classes[m]++
					if _, seen := examples[m]; !seen {
						examples[m] = fmt.Sprintf("%s#%s: %q", rel, id, event.String(gv))
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	keys := make([]mismatch, 0, len(classes))
	for m := range classes {
		keys = append(keys, m)
	}
	sort.Slice(keys, func(i, j int) bool { return classes[keys[i]] > classes[keys[j]] })
	for _, m := range keys {
		t.Errorf("mismatch %-10s %-24s ×%d e.g. %s", m.class, m.field, classes[m], examples[m])
	}
	t.Logf("compared %d records (%d fields); %d records absent from the reference", compared, fieldsCompared, missingRef)
	if compared < 7000 {
		t.Errorf("only %d records compared", compared)
	}
}

// onlyOurs are fields python-evtx 0.6.1 does not render at all.
var onlyOurs = map[string]bool{
	"Security_UserID": true, // python-evtx drops the Security@UserID attribute
}

// xmlChar drops the C0 controls XML 1.0 cannot carry.
func xmlChar(r rune) rune {
	if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
		return -1
	}
	return r
}

// unnamedData accepts python-evtx's numbering of unnamed payload elements:
// DataN holds either the <Binary> element in base64 (we keep Windows' hex in
// "Binary") or the <Data> strings in an XML rendering (we keep the list in
// "Data").
func unnamedData(key string, want any, got event.Fields) bool {
	if !strings.HasPrefix(key, "Data") || strings.Trim(key[4:], "0123456789") != "" {
		return false
	}
	ws := event.String(want)
	if b, err := base64.StdEncoding.DecodeString(ws); err == nil {
		if h, ok := got["Binary"].(string); ok && strings.EqualFold(hex.EncodeToString(b), h) {
			return true
		}
	}
	items, ok := got["Data"].([]any)
	if !ok {
		items = []any{got["Data"]}
	}
	for _, it := range items {
		if !strings.Contains(ws, eol.Replace(event.String(it))) {
			return false
		}
	}
	return got["Data"] != nil
}

// hasDataN reports whether the reference numbered unnamed payload elements
// (see unnamedData), which we keep as Data and Binary.
func hasDataN(want event.Fields) bool {
	for k := range want {
		if strings.HasPrefix(k, "Data") && len(k) > 4 && strings.Trim(k[4:], "0123456789") == "" {
			return true
		}
	}
	return false
}

var eol = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// pythonFiletime is t as python-evtx renders the FILETIME it came from:
// datetime.utcfromtimestamp(float(ft) * 1e-7 - 11644473600). At today's
// dates float(ft) and the product round to steps of 1.6 µs and 1.9 µs, so
// the reference is off the exact tick by up to about 2.5 µs; this redoes its
// arithmetic so that the comparison can be exact.
func pythonFiletime(t time.Time) time.Time {
	ft := uint64(t.Unix()+11644473600)*10000000 + uint64(t.Nanosecond()/100)
	whole, frac := math.Modf(float64(ft)*1e-7 - 11644473600)
	us := math.RoundToEven(frac * 1e6)
	return time.Unix(int64(whole), int64(us)*1000).UTC()
}

// loadRef reads a reference file into records keyed by EventRecordID.
func loadRef(t *testing.T, path string) map[string]event.Fields {
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	defer f.Close()
	out := map[string]event.Fields{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		rec, err := winevent.Parse(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		id, _ := rec.Fields["EventRecordID"].(string)
		out[id] = rec.Fields
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareValue returns "" when got matches the reference value want modulo
// python-evtx's typing, else a mismatch class name.
func compareValue(field string, got any, present bool, want any) string {
	ws, gs := event.String(want), event.String(got)
	if !present {
		if ws == "" {
			return "" // python-evtx renders absent optional values as ""
		}
		return "missing"
	}
	if gs == ws {
		return ""
	}
	// python-evtx's XML parser normalises line ends (\r\n and \r to \n);
	// the EVTX holds what Windows wrote.
	if eol.Replace(gs) == ws {
		return ""
	}
	// …and drops characters XML 1.0 forbids (stray control bytes).
	if strings.Map(xmlChar, eol.Replace(gs)) == ws {
		return ""
	}
	// python-evtx pads hex to the type width (0x00000000000003e7).
	if strings.HasPrefix(ws, "0x") && strings.HasPrefix(gs, "0x") {
		a, e1 := strconv.ParseUint(ws[2:], 16, 64)
		b, e2 := strconv.ParseUint(gs[2:], 16, 64)
		if e1 == nil && e2 == nil && a == b {
			return ""
		}
		return "hexvalue"
	}
	if strings.HasPrefix(ws, "0x") {
		return "wanthex"
	}
	if strings.HasPrefix(gs, "0x") {
		return "gothex"
	}
	// GUIDs: python-evtx keeps the template literal's case.
	if strings.EqualFold(gs, ws) {
		return ""
	}
	// Times: python-evtx prints microseconds without zone; we print 100 ns.
	if tw, err := winevent.ParseTime(ws); err == nil {
		if tg, err := winevent.ParseTime(gs); err == nil {
			if pythonFiletime(tg).Equal(tw) || tg.Truncate(time.Microsecond).Equal(tw) {
				return ""
			}
			return "time"
		}
	}
	return "value"
}
