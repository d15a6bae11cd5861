package evtx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden checks representative records of the corpus field by field:
// Security 4688 (hex pids and logon ids), Sysmon 1, Eventlog 1102
// (UserData), Sysmon 10 (hex GrantedAccess), a single-Data BITS event.
func TestGolden(t *testing.T) {
	tests := []struct{ golden, file, recordID string }{
		{"security_4688.json", "Command and Control/DE_RDP_Tunnel_5156.evtx", "227695"},
		{"eventlog_1102.json", "Command and Control/DE_RDP_Tunnel_5156.evtx", "227693"},
		{"sysmon_10.json", "Credential Access/CA_sysmon_hashdump_cmd_meterpreter.evtx", "9058"},
		{"bits_single_data.json", "Command and Control/bits_openvpn.evtx", "8192"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			var got event.Fields
			err := ReadFile(shareddata.Path(t, "evtx-attack-samples", tc.file), func(rec parse.Record, err error) error {
				if err == nil && rec.Fields["EventRecordID"] == tc.recordID {
					got = rec.Fields
				}
				return nil
			})
			if err != nil || got == nil {
				t.Fatalf("record %s not read: %v", tc.recordID, err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want event.Fields
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(jsonRoundTrip(t, got), want) {
				t.Errorf("fields differ from %s:\ngot  %v\nwant %v", path, got, want)
			}
		})
	}
}

func jsonRoundTrip(t *testing.T, f event.Fields) event.Fields {
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var out event.Fields
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDamagedInput feeds damaged files: none may panic, a bad header is
// ErrNotEVTX, a damaged or missing chunk is skipped, and damage inside a
// chunk is reported without costing more memory than the file is worth.
func TestDamagedInput(t *testing.T) {
	good, err := os.ReadFile(shareddata.Path(t, "evtx-attack-samples", "Command and Control", "DE_RDP_Tunnel_5156.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Read(bytes.NewReader([]byte("not an evtx")), func(parse.Record, error) error { return nil }); !errors.Is(err, ErrNotEVTX) {
		t.Errorf("bad magic: err = %v, want ErrNotEVTX", err)
	}
	read := func(b []byte) (recs, errs int) {
		if err := Read(bytes.NewReader(b), func(_ parse.Record, err error) error {
			if err != nil {
				errs++
			} else {
				recs++
			}
			return nil
		}); err != nil {
			t.Fatalf("read: %v", err)
		}
		return recs, errs
	}
	whole, _ := read(good)
	// A damaged chunk header: the chunk is reported and skipped.
	bad := append([]byte(nil), good...)
	copy(bad[4096:], "XXXXXXXX")
	if recs, errs := read(bad); recs != 0 || errs != 1 {
		t.Errorf("damaged chunk magic: %d records, %d errors; want 0, 1", recs, errs)
	}
	// Truncations at every 4 KiB boundary: never more records than whole.
	for n := 0; n < len(good); n += 4096 {
		got := 0
		_ = Read(bytes.NewReader(good[:n]), func(_ parse.Record, err error) error {
			if err == nil {
				got++
			}
			return nil
		})
		if got > whole {
			t.Errorf("truncated to %d bytes: %d records, whole file has %d", n, got, whole)
		}
	}
	// Noise in the records: a checksum error at least, and memory bounded.
	var before, after runtime.MemStats
	free := 4096 + int(binary.LittleEndian.Uint32(good[4096+48:]))
	for at := 4096 + 512; at < free-16; at += 97 {
		bad := append([]byte(nil), good...)
		copy(bad[at:], []byte{0xff, 0x41, 0x0c, 0x7f, 0xff, 0xff, 0x00, 0x80, 0xff, 0xff, 0xff, 0x0f, 0x21, 0x01, 0xfe, 0xff})
		runtime.ReadMemStats(&before)
		_, errs := read(bad)
		runtime.ReadMemStats(&after)
		if errs == 0 {
			t.Errorf("noise at %#x: no error reported", at)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
			t.Errorf("noise at %#x: %d bytes allocated", at, n)
		}
	}
}

// seedFile builds a minimal EVTX: a file header and one empty chunk.
func seedFile() []byte {
	b := make([]byte, 4096+65536)
	copy(b, "ElfFile\x00")
	binary.LittleEndian.PutUint64(b[24:], 1)    // next record id
	binary.LittleEndian.PutUint32(b[32:], 128)  // header size
	binary.LittleEndian.PutUint16(b[36:], 1)    // minor version
	binary.LittleEndian.PutUint16(b[38:], 3)    // major version
	binary.LittleEndian.PutUint16(b[40:], 4096) // header block size
	binary.LittleEndian.PutUint16(b[42:], 1)    // chunk count
	copy(b[4096:], "ElfChnk\x00")
	binary.LittleEndian.PutUint64(b[4096+8:], 1)
	binary.LittleEndian.PutUint64(b[4096+16:], 0)
	return b
}

// FuzzRead checks that no input panics and that every record read has an
// EventID. Besides the seeds in testdata/fuzz it starts from the synthetic
// file, which reaches every value type and template form.
func FuzzRead(f *testing.F) {
	f.Add(seedFile())
	f.Add([]byte("ElfFile\x00"))
	f.Add(syntheticFile())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096+3*65536 {
			return // chunks are independent: three are as good as more, and faster
		}
		_ = Read(bytes.NewReader(data), func(rec parse.Record, err error) error {
			if err == nil && rec.Fields["EventID"] == nil {
				t.Errorf("record without EventID: %v", rec.Fields)
			}
			return nil
		})
	})
}

// FuzzRecord fuzzes the BinXML of one record in a chunk whose header and
// checksums are right, so that small inputs reach the template and value
// decoding directly. The seeds are the synthetic records that can stand
// first in a chunk (their names and templates are defined inline at the
// offsets they were written for).
func FuzzRecord(f *testing.F) {
	for _, rec := range []xrecord{
		{id: 1, root: typesEvent, args: make([]xarg, 28)},
		{id: 4, root: unnamedEvent, args: []xarg{{tUint16, le16(7036)}, {tUint64, le64(4)}, str("first"), {tNull, nil}}},
	} {
		c := buildChunk([]xrecord{rec})
		size := binary.LittleEndian.Uint32(c[chunkHeaderSize+4:])
		f.Add(c[chunkHeaderSize+recordHeaderSize : chunkHeaderSize+size-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > chunkSize-chunkHeaderSize-recordHeaderSize-4 {
			return
		}
		cw := newChunkWriter()
		cw.put(1, 0, body)
		_ = Read(bytes.NewReader(buildFile(cw.finish())), func(rec parse.Record, err error) error {
			if err == nil && rec.Fields["EventID"] == nil {
				t.Errorf("record without EventID: %v", rec.Fields)
			}
			return nil
		})
	})
}

// BenchmarkParseNormalize measures EVTX records/s, parse plus Windows
// normalization, over the whole corpus held in memory.
func BenchmarkParseNormalize(b *testing.B) {
	root, files := evtxFiles(b)
	var blobs [][]byte
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			b.Fatal(err)
		}
		blobs = append(blobs, data)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	records := 0
	for i := 0; i < b.N; i++ {
		for _, data := range blobs {
			_ = Read(bytes.NewReader(data), func(rec parse.Record, err error) error {
				if err != nil {
					return nil
				}
				ev := &event.Event{Timestamp: rec.Time, Fields: rec.Fields}
				normalize.Windows(ev)
				records++
				return nil
			})
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	// On a shared machine wall time depends on the neighbours; the rate per
	// CPU-second of this process is the steadier figure.
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(records)/cpu, "records/cpu-s")
	}
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// TestReadParallelSameAsRead decodes the corpus both ways: same records,
// same order, same errors.
func TestReadParallelSameAsRead(t *testing.T) {
	root, files := evtxFiles(t)
	total := 0
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		var seq, par []parse.Record
		if err := Read(bytes.NewReader(data), func(rec parse.Record, err error) error {
			seq = append(seq, rec)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := ReadParallel(bytes.NewReader(data), int64(len(data)), 3, func(rec parse.Record, err error) error {
			par = append(par, rec)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(seq, par) {
			t.Errorf("%s: parallel read differs (%d vs %d records)", rel, len(par), len(seq))
		}
		total += len(par)
	}
	if total != corpusRecords {
		t.Errorf("%d records, want %d", total, corpusRecords)
	}
	// An early stop is returned and does not hang.
	data, _ := os.ReadFile(filepath.Join(root, files[0]))
	stop := errors.New("stop")
	if err := ReadParallel(bytes.NewReader(data), int64(len(data)), 2, func(parse.Record, error) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("early stop: %v", err)
	}
}

// TestSyntheticGolden decodes a file written by the test (synth_test.go)
// that holds every value type, template reuse with other argument types, a
// UserData given as a BinXML argument and unnamed Data.
func TestSyntheticGolden(t *testing.T) {
	type rec struct {
		Time   time.Time
		Fields event.Fields
		Err    string `json:",omitempty"`
	}
	var got []rec
	file := syntheticFile()
	err := Read(bytes.NewReader(file), func(r parse.Record, err error) error {
		if err != nil {
			got = append(got, rec{Err: err.Error()})
		} else {
			got = append(got, rec{Time: r.Time, Fields: r.Fields})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "synthetic.json")
	if *update {
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(append(b, '\n')) != string(want) {
		t.Errorf("records differ from %s:\n%s", path, b)
	}
}

// TestExpansionBounded reads records whose template names one large
// argument thousands of times, as text and as BinXML: each costs a bounded
// amount of memory and time and ends in an error, not in a huge record.
func TestExpansionBounded(t *testing.T) {
	many := func(name string) *xelem {
		e := &xelem{name: name}
		for i := 0; i < 6000; i++ {
			e.content = append(e.content, xsub{id: 2})
		}
		return e
	}
	system := &xelem{name: "System", content: []any{
		&xelem{name: "EventID", content: []any{xsub{id: 0}}},
		&xelem{name: "EventRecordID", content: []any{xsub{id: 1}}},
	}}
	asText := &xelem{name: "Event", content: []any{system, &xelem{name: "EventData", content: []any{many("Data")}}}}
	asXML := &xelem{name: "Event", content: []any{system, many("UserData")}}
	big := str(strings.Repeat("x", 20000))
	inner := &xelem{name: "Inner", content: []any{xsub{id: 0}}}
	for _, tc := range []struct {
		name string
		rec  xrecord
	}{
		{"text", xrecord{id: 1, root: asText, args: []xarg{{tUint16, le16(1)}, {tUint64, le64(1)}, big}}},
		{"binxml", xrecord{id: 1, root: asXML, nested: func(base int, defs map[*xelem]int) []xarg {
			return []xarg{{tUint16, le16(1)}, {tUint64, le64(1)}, fragmentArg(inner, []xarg{big}, base+10, defs)}
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := buildFile(buildChunk([]xrecord{tc.rec}))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var errs []error
			if err := Read(bytes.NewReader(file), func(_ parse.Record, err error) error {
				errs = append(errs, err)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if len(errs) != 1 || errs[0] == nil {
				t.Errorf("errors %v, want one", errs)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
				t.Errorf("%d bytes allocated", n)
			}
		})
	}
}
