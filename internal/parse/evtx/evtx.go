// Package evtx reads Windows XML event log files (.evtx) and yields one
// parse.Record per event, with the same flattened field names and string
// renderings as parse/winevent (see its package comment), so a rule or a
// test cannot tell whether an event came from a binary log or a JSON export.
//
// Decoding the binary XML is left to www.velocidex.com/golang/evtx. That
// library returns typed values (EventID as a number, LogonId as a decimal
// integer, times as epoch floats, GUIDs in upper case without braces); this
// package renders them back to the text Windows shows in the XML view:
// hex-typed fields as 0x…, GUIDs in braces, FILETIMEs as RFC 3339.
//
// The library loses the hex/decimal distinction of integer substitutions, so
// hex rendering is decided by provider, field name and, where a provider
// mixes both, event id (hexSecurity, hexByEvent), as checked against an
// independent parser (python-evtx) over the evtx-attack-samples corpus; a
// provider or field outside those tables renders integers in decimal.
//
// Read decodes on the caller's goroutine; ReadParallel spreads a file's
// chunks over several goroutines and still delivers records in file order.
//
// Known limit: a chunk whose record bytes are corrupt in particular ways
// makes the library allocate without bound (an uncapped template argument
// count in ParseTemplateInstance); a panic is recovered, an out-of-memory is
// not. Untrusted EVTX files should be scanned in a memory-limited process.
//
// This package must never panic on a corrupt file, nor stop at the first bad
// record: errors are reported per record or per chunk and reading goes on.
// It does no I/O beyond reading the file it is given.
package evtx

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Velocidex/ordereddict"
	vevtx "www.velocidex.com/golang/evtx"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

// Format is the record format name; EVTX events are Windows events.
const Format = winevent.Format

// ErrNotEVTX is returned when a file does not start with the EVTX magic.
var ErrNotEVTX = errors.New("evtx: not an EVTX file")

// RecordError describes a record or chunk that could not be decoded.
type RecordError struct {
	Chunk    int    // chunk index in the file
	RecordID uint64 // 0 when the whole chunk failed
	Err      error
}

func (e *RecordError) Error() string {
	if e.RecordID == 0 {
		return fmt.Sprintf("evtx: chunk %d: %v", e.Chunk, e.Err)
	}
	return fmt.Sprintf("evtx: chunk %d record %d: %v", e.Chunk, e.RecordID, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// ReadFile calls fn for every record of the EVTX file at path; see Read.
func ReadFile(path string, fn func(parse.Record, error) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("evtx: %w", err)
	}
	defer f.Close()
	if err := Read(f, fn); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Read decodes every record of an EVTX file in file order and calls fn with
// the record, or with a zero record and a *RecordError when a record or a
// whole chunk cannot be decoded. Reading stops early only when fn returns an
// error (which Read returns) or when the file header is unreadable.
func Read(r io.ReadSeeker, fn func(parse.Record, error) error) (err error) {
	var magic [8]byte
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("evtx: seek: %w", err)
	}
	if _, err := io.ReadFull(r, magic[:]); err != nil || string(magic[:]) != vevtx.EVTX_HEADER_MAGIC {
		return ErrNotEVTX
	}
	chunks, err := getChunks(r)
	if err != nil {
		return fmt.Errorf("evtx: read chunks: %w", err)
	}
	for i, c := range chunks {
		recs, perr := parseChunk(c)
		if perr != nil {
			if err := fn(parse.Record{}, &RecordError{Chunk: i, Err: perr}); err != nil {
				return err
			}
		}
		for _, rec := range recs {
			out, rerr := convert(rec)
			if rerr != nil {
				rerr = &RecordError{Chunk: i, RecordID: rec.Header.RecordID, Err: rerr}
			}
			if err := fn(out, rerr); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadParallel is Read with chunks decoded by up to workers goroutines
// (chunks are independent: each carries its own templates and strings).
// fn is still called from one goroutine, in file order. r must be safe for
// concurrent ReadAt (an *os.File or a *bytes.Reader is); size is its length.
// At most 2×workers decoded chunks are held at a time.
func ReadParallel(r io.ReaderAt, size int64, workers int, fn func(parse.Record, error) error) error {
	if workers < 2 {
		return Read(io.NewSectionReader(r, 0, size), fn)
	}
	head := io.NewSectionReader(r, 0, size)
	var magic [8]byte
	if _, err := io.ReadFull(head, magic[:]); err != nil || string(magic[:]) != vevtx.EVTX_HEADER_MAGIC {
		return ErrNotEVTX
	}
	chunks, err := getChunks(head)
	if err != nil {
		return fmt.Errorf("evtx: read chunks: %w", err)
	}
	type decoded struct {
		recs []parse.Record
		errs []error
	}
	results := make([]chan decoded, len(chunks))
	for i := range results {
		results[i] = make(chan decoded, 1)
	}
	jobs := make(chan int)
	done := make(chan struct{})
	defer close(done)
	for w := 0; w < workers; w++ {
		go func() {
			for i := range jobs {
				c := *chunks[i]
				c.Fd = io.NewSectionReader(r, 0, size) // a reader of its own: Parse seeks
				var d decoded
				recs, perr := parseChunk(&c)
				if perr != nil {
					d.recs = append(d.recs, parse.Record{})
					d.errs = append(d.errs, &RecordError{Chunk: i, Err: perr})
				}
				for _, rec := range recs {
					out, rerr := convert(rec)
					if rerr != nil {
						rerr = &RecordError{Chunk: i, RecordID: rec.Header.RecordID, Err: rerr}
					}
					d.recs = append(d.recs, out)
					d.errs = append(d.errs, rerr)
				}
				select {
				case results[i] <- d:
				case <-done:
					return
				}
			}
		}()
	}
	// Feed jobs at most 2×workers ahead of the consumer: a token per chunk
	// in flight, returned when the consumer has taken its records.
	window := make(chan struct{}, 2*workers)
	go func() {
		defer close(jobs)
		for i := range chunks {
			select {
			case window <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- i:
			case <-done:
				return
			}
		}
	}()
	for i := range chunks {
		d := <-results[i]
		<-window
		for j := range d.recs {
			if err := fn(d.recs[j], d.errs[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// getChunks wraps the library's chunk scan, which may panic on a damaged
// header.
func getChunks(r io.ReadSeeker) (chunks []*vevtx.Chunk, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt file header: %v", p)
		}
	}()
	return vevtx.GetChunks(r)
}

// parseChunk decodes the records a chunk's header counts. The library
// indexes its buffer without bounds checks, so a corrupt chunk panics; that
// chunk is reported and skipped.
//
// Records past the header's count in a dirty chunk (a log not closed
// cleanly) are not read: widening the library's range over them was tried
// and, on the corpus, yields records without templates or exhausts memory.
func parseChunk(c *vevtx.Chunk) (recs []*vevtx.EventRecord, err error) {
	defer func() {
		if p := recover(); p != nil {
			recs, err = nil, fmt.Errorf("corrupt chunk: %v", p)
		}
	}()
	return c.Parse(0)
}

// convert turns one decoded record into a parse.Record, writing the
// winevent field names directly (this is the hot path: no intermediate
// maps). The conformance test checks the result against parse/winevent's
// reading of python-evtx's export of the same records.
func convert(rec *vevtx.EventRecord) (out parse.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = parse.Record{}, fmt.Errorf("corrupt record: %v", p)
		}
	}()
	root, ok := rec.Event.(*ordereddict.Dict)
	if !ok {
		return parse.Record{}, errors.New("record has no XML root")
	}
	evAny, _ := root.Get("Event")
	ev, ok := evAny.(*ordereddict.Dict)
	if !ok {
		return parse.Record{}, errors.New("record has no Event element")
	}
	sysAny, _ := ev.Get("System")
	sys, ok := sysAny.(*ordereddict.Dict)
	if !ok {
		return parse.Record{}, errors.New("record has no System element")
	}
	f := make(event.Fields, 40)
	out = parse.Record{Format: Format, Fields: f}
	for _, k := range sys.Keys() {
		v, _ := sys.Get(k)
		switch k {
		case "EventID":
			if d, ok := v.(*ordereddict.Dict); ok {
				v, _ = d.Get("Value")
			}
			f["EventID"] = scalar(v)
		case "Keywords":
			if n, ok := asUint(v); ok {
				f[k] = "0x" + strconv.FormatUint(n, 16)
			} else {
				f[k] = scalar(v)
			}
		case "TimeCreated":
			if d, ok := v.(*ordereddict.Dict); ok {
				st, _ := d.Get("SystemTime")
				if t, ok := epochTime(st); ok {
					out.Time = t
					f[k] = winevent.FormatTime(t)
				} else if s := timeString(st); s != "" {
					f[k] = s
				}
			}
		case "Provider":
			if d, ok := v.(*ordereddict.Dict); ok {
				for _, ak := range d.Keys() {
					av, _ := d.Get(ak)
					s := scalar(av)
					if s == "" {
						continue
					}
					if ak == "Guid" && !strings.HasPrefix(s, "{") {
						s = "{" + strings.ToLower(s) + "}"
					}
					f["Provider_"+ak] = s
				}
			}
		case "Execution":
			if d, ok := v.(*ordereddict.Dict); ok {
				for _, ak := range d.Keys() {
					av, _ := d.Get(ak)
					if s := scalar(av); s != "" {
						f[ak] = s
					}
				}
			}
		case "Security":
			if d, ok := v.(*ordereddict.Dict); ok {
				if u, ok := d.Get("UserID"); ok {
					if s := scalar(u); s != "" {
						f["Security_UserID"] = s
					}
				}
			}
		case "Correlation":
			// Activity ids are not addressed by rules (as in parse/winevent).
		case "Channel":
			// An empty <Channel/> (ETW-converted logs) comes back from the
			// library as a neighbouring number; no channel is a number.
			if c := scalar(v); c != "" && strings.Trim(c, "0123456789") != "" {
				f[k] = c
			}
		default:
			if _, nested := v.(*ordereddict.Dict); !nested {
				f[k] = scalar(v)
			}
		}
	}
	if s, _ := f["Provider_Name"].(string); s == "" {
		if src, ok := f["Provider_EventSourceName"].(string); ok {
			f["Provider_Name"] = src
		}
	}
	provider, _ := f["Provider_Name"].(string)
	if id, _ := f["EventID"].(string); id == "" {
		return parse.Record{}, errors.New("System has no EventID")
	}
	c := renderCtx{provider: provider, eventID: f["EventID"]}
	if v, ok := ev.Get("EventData"); ok {
		c.flatten(f, v)
	}
	if v, ok := ev.Get("UserData"); ok {
		c.flatten(f, v)
	}
	if out.Time.IsZero() && rec.Header.FileTime != 0 {
		out.Time = filetime(rec.Header.FileTime)
	}
	return out, nil
}

// flatten copies payload entries to the top level: named <Data> values
// by name, leaves of UserData's wrapper element by element name, a single
// unnamed or named <Data> that the library did not normalise by its Name.
func (c renderCtx) flatten(f event.Fields, v any) {
	d, ok := v.(*ordereddict.Dict)
	if !ok {
		return
	}
	if data, ok := d.Get("Data"); ok {
		if m, ok := data.(*ordereddict.Dict); ok {
			// One <Data Name=…>, which the library leaves as {Name, Value}.
			if n, ok := m.Get("Name"); ok {
				name, _ := n.(string)
				val, _ := m.Get("Value")
				f[name] = c.render(name, val)
				return
			}
		}
	}
	for _, k := range d.Keys() {
		if k == "xmlns" || strings.HasPrefix(k, "xmlns:") {
			continue
		}
		val, _ := d.Get(k)
		if sub, ok := val.(*ordereddict.Dict); ok {
			c.flatten(f, sub)
			continue
		}
		f[k] = c.render(k, val)
	}
}

// renderCtx carries what decides how an integer is shown.
type renderCtx struct {
	provider string
	eventID  any
}

// render converts one payload value to its Windows text form; lists stay
// lists of strings.
func (c renderCtx) render(name string, v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, it := range x {
			out = append(out, c.render(name, it))
		}
		return out
	case []string:
		out := make([]any, 0, len(x))
		for _, s := range x {
			if s != "" {
				out = append(out, s)
			}
		}
		return out
	case []uint16:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = strconv.FormatUint(uint64(n), 10)
		}
		return out
	case []uint64:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = strconv.FormatUint(n, 10)
		}
		return out
	}
	if n, ok := asUint(v); ok && c.isHex(name) {
		return "0x" + strconv.FormatUint(n, 16)
	}
	return scalar(v)
}

// hexSecurity are the Security-Auditing payload fields whose manifest type
// is HexInt32/HexInt64 (Windows renders them 0x…).
var hexSecurity = map[string]bool{
	"SubjectLogonId": true, "TargetLogonId": true, "TargetLinkedLogonId": true,
	"LogonId": true, "AccessMask": true, "HandleId": true, "NewProcessId": true,
	"ProcessId": true, "Status": true, "SubStatus": true, "TicketOptions": true,
	"TicketEncryptionType": true, "CallerProcessId": true, "OldUacValue": true,
	"NewUacValue": true, "SourceHandleId": true, "TargetHandleId": true,
	"SourceProcessId": true, "TargetProcessId": true, "ClientProcessId": true,
	"RequestedAccess": true,
}

// hexByEvent lists, for other providers, the hex-typed fields per event id
// ("" = every event of the provider).
var hexByEvent = map[string]map[string]string{
	"Microsoft-Windows-Sysmon":                          {"GrantedAccess": "", "LogonId": ""},
	"Microsoft-Windows-Eventlog":                        {"SubjectLogonId": ""},
	"Microsoft-Windows-Application-Experience":          {"Flags": ""},
	"Microsoft-Windows-RemoteDesktopServices-RdpCoreTS": {"ErrorCode": "226", "Version": "162"},
}

// isHex decides how an integer payload field is rendered.
func (c renderCtx) isHex(name string) bool {
	id, _ := c.eventID.(string)
	if c.provider == "Microsoft-Windows-Security-Auditing" {
		// Filtering Platform events (515x) carry a decimal UInt64 pid.
		if name == "ProcessId" && strings.HasPrefix(id, "515") {
			return false
		}
		return hexSecurity[name]
	}
	ev, ok := hexByEvent[c.provider][name]
	return ok && (ev == "" || ev == id)
}

// scalar renders one typed value from the library.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return guid(x)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		// Real64 payloads are rare; FILETIMEs come back as epoch seconds.
		return timeString(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return strings.ToUpper(hex.EncodeToString(x))
	case *ordereddict.Dict:
		if t, ok := x.Get("Value"); ok {
			return scalar(t)
		}
		return ""
	}
	return fmt.Sprint(v)
}

// guid renders a GUID substitution as Windows shows it: lower case in
// braces. The library renders GUID-typed values in upper case without
// braces, which is how they are told apart from string values that merely
// hold a GUID (PowerShell's ScriptBlockId), which are kept as they are.
func guid(s string) string {
	if winevent.IsBareGUID(s) && s == strings.ToUpper(s) {
		return "{" + strings.ToLower(s) + "}"
	}
	return s
}

func asUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	}
	return 0, false
}

// epochTime converts the library's epoch-seconds float to UTC, rounded to
// the 100 ns tick of a FILETIME.
func epochTime(v any) (time.Time, bool) {
	x, ok := v.(float64)
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) || x < -1e11 || x > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(x)
	ticks := math.Round(frac * 1e7)
	return time.Unix(int64(sec), int64(ticks)*100).UTC(), true
}

// timeString renders an epoch-seconds float (how the library returns
// FILETIME and SystemTime) as RFC 3339 with 100 ns precision.
func timeString(v any) string {
	switch x := v.(type) {
	case float64:
		if t, ok := epochTime(x); ok {
			return winevent.FormatTime(t)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		// The library renders SYSTEMTIME with time.Time.String.
		if t, err := winevent.ParseTime(x); err == nil {
			return winevent.FormatTime(t)
		}
		return x
	}
	return scalar(v)
}

// filetime converts a FILETIME (100 ns ticks since 1601) to UTC.
func filetime(ft uint64) time.Time {
	const epochDelta = 116444736000000000
	if ft < epochDelta {
		return time.Time{}
	}
	d := ft - epochDelta
	return time.Unix(int64(d/1e7), int64(d%1e7)*100).UTC()
}
