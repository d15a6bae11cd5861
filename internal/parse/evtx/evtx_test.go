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
// ErrNotEVTX, a damaged or missing chunk is skipped.
func TestDamagedInput(t *testing.T) {
	good, err := os.ReadFile(shareddata.Path(t, "evtx-attack-samples", "Command and Control", "DE_RDP_Tunnel_5156.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Read(bytes.NewReader([]byte("not an evtx")), func(parse.Record, error) error { return nil }); !errors.Is(err, ErrNotEVTX) {
		t.Errorf("bad magic: err = %v, want ErrNotEVTX", err)
	}
	// A damaged chunk header: the chunk is skipped, the file still reads.
	// (Noise inside a chunk's records is not tested: the library then can
	// allocate without bound, see FuzzRead and the package comment.)
	bad := append([]byte(nil), good...)
	copy(bad[4096:], "XXXXXXXX")
	if err := Read(bytes.NewReader(bad), func(parse.Record, error) error { return nil }); err != nil {
		t.Errorf("damaged chunk magic: %v", err)
	}
	// Truncations at every 4 KiB boundary: never more records than whole.
	whole := 0
	_ = Read(bytes.NewReader(good), func(_ parse.Record, err error) error {
		if err == nil {
			whole++
		}
		return nil
	})
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

func FuzzRead(f *testing.F) {
	f.Add(seedFile())
	f.Add([]byte("ElfFile\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096+3*65536 {
			return // the library reads whole 64 KiB chunks; larger inputs only slow the fuzzer
		}
		_ = Read(bytes.NewReader(data), func(rec parse.Record, err error) error {
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
