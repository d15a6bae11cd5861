// Package csv reads indicator lists in CSV form through a column mapping
// (Layout). The layouts of abuse.ch's URLhaus, Feodo Tracker and ThreatFox
// exports are built in and recognised from their header line; any other
// CSV names its columns in a mapping such as
// "value=indicator,type=kind,confidence=score".
//
// It must never panic on input and never fetch anything; it streams, so a
// list of millions of rows needs memory only for the indicators it yields.
package csv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/feed"
)

// Format is the name of this reader in the import API.
const Format = "csv"

// Columns names, for each indicator field, the CSV column it comes from:
// a header name or a 0-based column number. Empty means not present.
type Columns struct {
	Value, Type, FirstSeen, LastSeen, Confidence, Tags, Ref, Description, TLP, ToBlock string
}

// Layout is how one kind of CSV maps to indicators.
type Layout struct {
	Name    string
	Columns Columns
	// Type is the type of every value when the list has no type column;
	// empty means guess it from the value.
	Type intel.Type
	// Types maps the feed's own type names (type column) to Yagura's,
	// for names intel.ParseType does not know.
	Types map[string]intel.Type
	// Marker is a header column only this layout has; it picks the
	// layout when none is given.
	Marker string
}

// Built-in layouts of the abuse.ch exports.
var (
	URLhaus = Layout{Name: "urlhaus", Type: intel.URL, Marker: "urlhaus_link",
		Columns: Columns{Value: "url", FirstSeen: "dateadded", Tags: "tags", Ref: "id", Description: "threat"}}
	FeodoTracker = Layout{Name: "feodo", Marker: "dst_ip",
		Columns: Columns{Value: "dst_ip", FirstSeen: "first_seen_utc", LastSeen: "last_online", Description: "malware"}}
	ThreatFox = Layout{Name: "threatfox", Marker: "ioc_value",
		Columns: Columns{Value: "ioc_value", Type: "ioc_type", FirstSeen: "first_seen_utc", LastSeen: "last_seen_utc",
			Confidence: "confidence_level", Tags: "tags", Ref: "ioc_id", Description: "malware_printable"},
		Types: map[string]intel.Type{"ip:port": intel.IPv4, "md5_hash": intel.MD5, "sha1_hash": intel.SHA1,
			"sha256_hash": intel.SHA256, "sha3_384_hash": "", "domain": intel.Domain, "url": intel.URL}}
	// Generic is the layout of a CSV with Yagura's own column names.
	Generic = Layout{Name: "generic", Columns: Columns{Value: "value", Type: "type", FirstSeen: "first_seen",
		LastSeen: "last_seen", Confidence: "confidence", Tags: "tags", Ref: "id", Description: "description",
		TLP: "tlp", ToBlock: "to_block"}}
)

// Layouts are the built-in layouts by name.
var Layouts = map[string]Layout{"urlhaus": URLhaus, "feodo": FeodoTracker, "threatfox": ThreatFox, "generic": Generic}

// ParseMapping reads "value=url,type=kind,first_seen=added,..." into a
// layout; a bare name picks a built-in layout.
func ParseMapping(s string) (Layout, error) {
	if l, ok := Layouts[s]; ok {
		return l, nil
	}
	l := Layout{Name: "custom"}
	fields := map[string]*string{"value": &l.Columns.Value, "type": &l.Columns.Type, "first_seen": &l.Columns.FirstSeen,
		"last_seen": &l.Columns.LastSeen, "confidence": &l.Columns.Confidence, "tags": &l.Columns.Tags,
		"ref": &l.Columns.Ref, "description": &l.Columns.Description, "tlp": &l.Columns.TLP, "to_block": &l.Columns.ToBlock}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return l, fmt.Errorf("csv mapping %q: want field=column pairs, e.g. value=url,type=kind (or a layout: urlhaus, feodo, threatfox, generic)", s)
		}
		if k == "fixed_type" {
			t, err := intel.ParseType(v)
			if err != nil {
				return l, fmt.Errorf("csv mapping: %w", err)
			}
			l.Type = t
			continue
		}
		p, ok := fields[k]
		if !ok {
			return l, fmt.Errorf("csv mapping: unknown field %q (fields: value, type, fixed_type, first_seen, last_seen, confidence, tags, ref, description, tlp, to_block)", k)
		}
		*p = v
	}
	if l.Columns.Value == "" {
		return l, errors.New("csv mapping: the value column is required (value=COLUMN)")
	}
	return l, nil
}

// Read reads a CSV list. With layout nil the layout is picked from the
// header: a built-in layout whose marker column is present, else Generic.
// The header is the first row, or the last '#' comment line before the
// first row (the abuse.ch style).
func Read(r io.Reader, o feed.Options, layout *Layout) (feed.Result, error) {
	o = o.Defaults()
	cr := csv.NewReader(r)
	cr.Comment = 0 // comments are handled here: the header hides in one
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var res feed.Result
	var header []string
	var lastComment string
	var m *mapping
	line := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.Rejectf(fmt.Sprintf("line %d", pe.Line), "", "not CSV: %v", pe.Err)
				if len(res.Rejected) > 1000 {
					return res, fmt.Errorf("csv: more than 1000 broken rows; is this a CSV file?")
				}
				continue
			}
			return res, fmt.Errorf("csv: %w", err)
		}
		if len(rec) > 0 && strings.HasPrefix(rec[0], "#") {
			lastComment = strings.Join(rec, ",")
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if m == nil {
			var inComment bool
			header, inComment = headerFrom(lastComment, rec)
			l := pick(layout, header)
			if m, err = newMapping(l, header); err != nil {
				return res, err
			}
			if header != nil && !inComment {
				continue // the first row was the header
			}
		}
		m.row(&res, o, fmt.Sprintf("line %d", line), rec)
	}
	return res, nil
}

// headerFrom decides where the column names are: the last comment line if
// it parses as as many column names as the first row has cells, else the
// first row if it looks like names. inComment tells which.
func headerFrom(comment string, first []string) (names []string, inComment bool) {
	if comment != "" {
		c := csv.NewReader(strings.NewReader(strings.TrimSpace(strings.TrimLeft(comment, "# "))))
		c.TrimLeadingSpace = true
		c.LazyQuotes = true
		if names, err := c.Read(); err == nil && len(names) == len(first) && len(names) > 1 && looksLikeNames(names) {
			return lower(names), true
		}
	}
	if looksLikeNames(first) {
		return lower(append([]string(nil), first...)), false
	}
	return nil, false
}

// looksLikeNames: every cell is a short identifier (letters, digits, _).
func looksLikeNames(cells []string) bool {
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 40 {
			return false
		}
		for _, r := range c {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ' ') {
				return false
			}
		}
		if _, err := strconv.Atoi(c); err == nil {
			return false
		}
	}
	return true
}

func lower(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(strings.TrimSpace(s[i]))
	}
	return s
}

func pick(layout *Layout, header []string) Layout {
	if layout != nil {
		return *layout
	}
	for _, l := range []Layout{URLhaus, FeodoTracker, ThreatFox} {
		for _, h := range header {
			if h == l.Marker {
				return l
			}
		}
	}
	return Generic
}

// mapping is a layout resolved against a header: column positions.
type mapping struct {
	l                                                                  Layout
	value, typ, first, last, confidence, tags, ref, desc, tlp, toBlock int
}

func newMapping(l Layout, header []string) (*mapping, error) {
	m := &mapping{l: l}
	find := func(col string, required bool) (int, error) {
		if col == "" {
			return -1, nil
		}
		if n, err := strconv.Atoi(col); err == nil && n >= 0 {
			return n, nil
		}
		for i, h := range header {
			if h == strings.ToLower(col) {
				return i, nil
			}
		}
		if required {
			if header == nil {
				return -1, fmt.Errorf("csv (%s layout): no header line, so column %q cannot be found; name columns by number (value=0)", l.Name, col)
			}
			return -1, fmt.Errorf("csv (%s layout): no column %q in the header %v", l.Name, col, header)
		}
		return -1, nil
	}
	var err error
	if m.value, err = find(l.Columns.Value, true); err != nil {
		return nil, err
	}
	// Optional columns may be missing; a custom mapping names only what
	// it has.
	m.typ, _ = find(l.Columns.Type, false)
	m.first, _ = find(l.Columns.FirstSeen, false)
	m.last, _ = find(l.Columns.LastSeen, false)
	m.confidence, _ = find(l.Columns.Confidence, false)
	m.tags, _ = find(l.Columns.Tags, false)
	m.ref, _ = find(l.Columns.Ref, false)
	m.desc, _ = find(l.Columns.Description, false)
	m.tlp, _ = find(l.Columns.TLP, false)
	m.toBlock, _ = find(l.Columns.ToBlock, false)
	return m, nil
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func (m *mapping) row(res *feed.Result, o feed.Options, where string, rec []string) {
	value := cell(rec, m.value)
	if ref := cell(rec, m.ref); ref != "" {
		where = ref
	}
	if value == "" {
		res.Reject(where, strings.Join(rec, ","), "no value in the value column")
		return
	}
	i := intel.IOC{Value: value, Type: m.l.Type, Description: cell(rec, m.desc), TLP: cell(rec, m.tlp)}
	if raw := cell(rec, m.typ); raw != "" {
		t, ok := m.l.Types[strings.ToLower(raw)]
		if !ok {
			var err error
			if t, err = intel.ParseType(raw); err != nil {
				res.Reject(where, value, err.Error())
				return
			}
		}
		if t == "" {
			res.Rejectf(where, value, "indicator type %q is not supported", raw)
			return
		}
		i.Type = t
		if strings.EqualFold(raw, "ip:port") {
			if host, _, err := net.SplitHostPort(value); err == nil {
				i.Value = host
			}
		}
	}
	if i.Type == "" {
		i.Type = intel.Guess(i.Value)
	}
	if c := cell(rec, m.confidence); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			res.Rejectf(where, value, "confidence %q is not a number", c)
			return
		}
		i.Confidence = n
	}
	for _, tag := range strings.Split(cell(rec, m.tags), ",") {
		if tag = strings.TrimSpace(tag); tag != "" && tag != "None" {
			i.Tags = append(i.Tags, tag)
		}
	}
	if t, ok := parseTime(cell(rec, m.first)); ok {
		i.FirstSeen = t
	}
	if t, ok := parseTime(cell(rec, m.last)); ok {
		i.LastSeen = t
	}
	if b := cell(rec, m.toBlock); b != "" {
		i.ToBlock, _ = strconv.ParseBool(b)
	}
	res.Add(o, where, i)
}

// parseTime reads the date forms feeds use, as UTC.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.DateTime, time.RFC3339Nano, time.DateOnly, "2006-01-02 15:04:05 UTC"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
