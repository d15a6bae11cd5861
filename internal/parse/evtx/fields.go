package evtx

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/winevent"
)

// walker expands one record's template straight into field entries: the
// values are rendered one after another into text, and only when the
// record is complete does text become one string that every field value is
// a slice of (one allocation for all the values of a record).
type walker struct {
	p       *parser
	text    []byte
	spans   []span
	ents    []entry
	kids    []elemRef // children being visited, a stack shared by the levels
	xmlLeft int       // BinXML argument bytes left to parse in this chunk
	budget  int       // text left to render in this chunk
	time    time.Time
	err     error
}

type span struct{ a, b int32 }

// entry is one field: spans[first] for a value, spans[first:first+n] for a
// list.
type entry struct {
	key      string
	first, n int32
	list     bool
}

type elemRef struct {
	e    *element
	args []value
}

// newChunk renews the budgets.
func (w *walker) newChunk() {
	w.xmlLeft, w.budget = nestedBudget, textBudget
}

func (w *walker) reset() {
	w.text, w.spans, w.ents, w.kids = w.text[:0], w.spans[:0], w.ents[:0], w.kids[:0]
	w.time = time.Time{}
	w.err = nil
}

// fields expands a decoded record into the package's flat field names
// (see parse/winevent): System first, then EventData, then UserData, so a
// payload name that equals a System name wins.
func (w *walker) fields(f fragment) (event.Fields, time.Time, error) {
	w.reset()
	ev := w.firstOf(f.parts, f.args, "Event")[0]
	if ev.e == nil {
		w.setErr(errors.New("record has no Event element"))
		return nil, time.Time{}, w.err
	}
	top := w.firstOf(ev.e.content, ev.args, "System", "EventData", "UserData")
	if top[0].e == nil {
		w.setErr(errors.New("record has no System element"))
		return nil, time.Time{}, w.err
	}
	w.system(top[0])
	for _, d := range top[1:] {
		if d.e != nil {
			w.payload(d, 0)
		}
	}
	w.budget -= len(w.text)
	if w.err != nil {
		return nil, time.Time{}, w.err
	}
	s := string(w.text)
	out := make(event.Fields, len(w.ents))
	for _, e := range w.ents {
		if !e.list {
			sp := w.spans[e.first]
			out[e.key] = s[sp.a:sp.b]
			continue
		}
		l := make([]any, e.n)
		for i, sp := range w.spans[e.first : e.first+e.n] {
			l[i] = s[sp.a:sp.b]
		}
		out[e.key] = l
	}
	if name, _ := out["Provider_Name"].(string); name == "" {
		if src, ok := out["Provider_EventSourceName"]; ok {
			out["Provider_Name"] = src
		}
	}
	if id, _ := out["EventID"].(string); id == "" {
		return nil, time.Time{}, errors.New("System has no EventID")
	}
	return out, w.time, nil
}

// setErr keeps the record's first error.
func (w *walker) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// firstOf finds, among the child elements in parts, the first one called
// each of names (up to three); e is nil for a name not found.
func (w *walker) firstOf(parts []part, args []value, names ...string) (found [3]elemRef) {
	start := len(w.kids)
	w.children(parts, args, 0)
	for _, k := range w.kids[start:] {
		for i, name := range names {
			if found[i].e == nil && k.e.name == name {
				found[i] = k
			}
		}
	}
	w.kids = w.kids[:start]
	return found
}

// children appends the child elements among parts to w.kids, looking
// through template instances and BinXML arguments.
func (w *walker) children(parts []part, args []value, depth int) {
	if depth > maxDepth {
		w.setErr(errDepth)
		return
	}
	for _, pt := range parts {
		switch pt.kind {
		case partElem:
			w.kids = append(w.kids, elemRef{pt.elem, args})
		case partFrag:
			w.children(pt.frag.parts, pt.frag.args, depth+1)
		case partSubst:
			if int(pt.sub) < len(args) && args[pt.sub].typ == tBinXML {
				if f, ok := w.nested(args[pt.sub], depth); ok {
					w.children(f.parts, f.args, depth+1)
				}
			}
		}
	}
}

// nested decodes a BinXML argument.
func (w *walker) nested(v value, depth int) (fragment, bool) {
	if w.xmlLeft -= int(v.size); w.xmlLeft < 0 {
		w.setErr(errBudget)
		return fragment{}, false
	}
	r := reader{b: w.p.chunk, pos: int(v.off), end: int(v.off) + int(v.size)}
	f, err := w.p.parseFragment(&r, false, depth+1)
	if err != nil {
		w.setErr(err)
		return fragment{}, false
	}
	return f, true
}

// system sets the fields of the System element's children.
func (w *walker) system(sys elemRef) {
	start := len(w.kids)
	w.children(sys.e.content, sys.args, 0)
	end := len(w.kids)
	for i := start; i < end; i++ {
		k := w.kids[i]
		e, args := k.e, k.args
		switch e.name {
		case "EventID":
			w.set("EventID", e.content, args) // Qualifiers are not addressed by rules
		case "Keywords":
			if v, ok := single(e.content, args); ok && isUnsigned(v.typ) {
				// A plain integer mask: Windows shows keywords in hex.
				a := len(w.text)
				w.text = appendHexInt(w.text, unsigned(w.p.chunk, v))
				w.add("Keywords", a)
			} else {
				w.set("Keywords", e.content, args)
			}
		case "TimeCreated":
			w.timeCreated(e, args)
		case "Provider":
			for _, at := range e.attrs {
				w.provider(at, args)
			}
		case "Execution":
			for _, at := range e.attrs {
				w.setNonEmpty(at.name, at.value, args)
			}
		case "Security":
			for _, at := range e.attrs {
				if at.name == "UserID" {
					w.setNonEmpty("Security_UserID", at.value, args)
				}
			}
		case "Correlation":
			// Activity ids are not addressed by rules (as in parse/winevent).
		case "Channel":
			w.setNonEmpty("Channel", e.content, args)
		default:
			if len(e.attrs) == 0 && !w.isContainer(e, args) {
				w.set(e.name, e.content, args)
			}
		}
	}
	w.kids = w.kids[:start]
}

// provider sets Provider_<attribute>; the GUID in braces, lower case.
func (w *walker) provider(at attr, args []value) {
	var key string
	switch at.name {
	case "Name":
		key = "Provider_Name"
	case "Guid":
		key = "Provider_Guid"
	case "EventSourceName":
		key = "Provider_EventSourceName"
	default:
		key = w.p.internKey("Provider_", at.name)
	}
	a := len(w.text)
	if !w.setNonEmpty(key, at.value, args) || at.name != "Guid" || w.text[a] == '{' {
		return
	}
	g := strings.ToLower(string(w.text[a:]))
	w.text = append(append(append(w.text[:a], '{'), g...), '}')
	w.spans[len(w.spans)-1].b = int32(len(w.text))
}

// timeCreated sets TimeCreated from the SystemTime attribute and keeps
// the time for the record.
func (w *walker) timeCreated(e *element, args []value) {
	for _, at := range e.attrs {
		if at.name != "SystemTime" {
			continue
		}
		if v, ok := single(at.value, args); ok && v.typ == tFileTime && v.size == 8 {
			w.time = fileTime(binary.LittleEndian.Uint64(w.p.chunk[v.off:]))
			a := len(w.text)
			w.text = w.time.AppendFormat(w.text, timeLayout)
			w.add("TimeCreated", a)
			return
		}
		a := len(w.text)
		if !w.setNonEmpty("TimeCreated", at.value, args) {
			return
		}
		if t, err := winevent.ParseTime(string(w.text[a:])); err == nil {
			w.time = t
			w.text = t.AppendFormat(w.text[:a], timeLayout)
			w.spans[len(w.spans)-1].b = int32(len(w.text))
		}
		return
	}
}

// payload flattens EventData or UserData: a <Data Name="N"> becomes field
// N, unnamed <Data> elements the field Data (a list when several), any
// other leaf element a field named after it; elements that hold elements
// (UserData's wrapper, named after the event) are looked through. Their
// attributes (xmlns, EventData's Name) are not fields, as in parse/winevent.
func (w *walker) payload(d elemRef, depth int) {
	if depth > maxDepth {
		w.setErr(errDepth)
		return
	}
	start := len(w.kids)
	w.children(d.e.content, d.args, depth)
	end := len(w.kids)
	unnamed := 0
	for i := start; i < end; i++ {
		k := w.kids[i]
		switch {
		case k.e.name == "Data":
			if name := w.attrString(k.e, "Name", k.args); name != "" {
				if !w.set(name, k.e.content, k.args) {
					w.setEmpty(name)
				}
			} else {
				unnamed++
			}
		case w.isContainer(k.e, k.args):
			w.payload(k, depth+1)
		default:
			w.set(k.e.name, k.e.content, k.args)
		}
	}
	if unnamed > 0 {
		w.unnamedData(start, end, unnamed)
	}
	w.kids = w.kids[:start]
}

// unnamedData sets Data from the unnamed <Data> elements among
// w.kids[start:end]: one value, or a list with "" for an empty element.
func (w *walker) unnamedData(start, end, n int) {
	if n == 1 {
		for _, k := range w.kids[start:end] {
			if k.e.name == "Data" && w.attrString(k.e, "Name", k.args) == "" {
				w.set("Data", k.e.content, k.args)
			}
		}
		return
	}
	first := len(w.spans)
	for _, k := range w.kids[start:end] {
		if k.e.name == "Data" && w.attrString(k.e, "Name", k.args) == "" {
			a := len(w.text)
			w.appendText(k.e.content, k.args)
			w.spans = append(w.spans, span{int32(a), int32(len(w.text))})
		}
	}
	w.ents = append(w.ents, entry{key: "Data", first: int32(first), n: int32(len(w.spans) - first), list: true})
}

// isContainer reports whether e holds elements rather than text.
func (w *walker) isContainer(e *element, args []value) bool {
	for _, pt := range e.content {
		switch pt.kind {
		case partElem, partFrag:
			return true
		case partSubst:
			if int(pt.sub) < len(args) && args[pt.sub].typ == tBinXML {
				return true
			}
		}
	}
	return false
}

// attrString is the value of e's attribute name, "" when absent.
func (w *walker) attrString(e *element, name string, args []value) string {
	for _, at := range e.attrs {
		if at.name != name {
			continue
		}
		if len(at.value) == 1 && at.value[0].kind == partText {
			return at.value[0].text
		}
		a := len(w.text)
		w.appendText(at.value, args)
		s := w.p.internBytes(w.text[a:])
		w.text = w.text[:a]
		return s
	}
	return ""
}

// set adds field key with the text of parts, or a list when parts are one
// array argument. It reports whether there was a value: an element whose
// only content is a null argument has none.
func (w *walker) set(key string, parts []part, args []value) bool {
	if v, ok := single(parts, args); ok && v.typ&arrayFlag != 0 && v.typ != tBinXML {
		first := len(w.spans)
		splitArray(v.typ, w.p.chunk[v.off:int(v.off)+int(v.size)], func(item []byte) {
			a := len(w.text)
			w.text = appendValue(w.text, v.typ&^arrayFlag, item)
			w.spans = append(w.spans, span{int32(a), int32(len(w.text))})
		})
		w.ents = append(w.ents, entry{key: key, first: int32(first), n: int32(len(w.spans) - first), list: true})
		if len(w.text) > w.budget {
			w.setErr(errBudget)
		}
		return true
	}
	a := len(w.text)
	if !w.appendText(parts, args) {
		return false
	}
	w.add(key, a)
	return true
}

// setNonEmpty is set for values that are left out when empty (attributes).
func (w *walker) setNonEmpty(key string, parts []part, args []value) bool {
	a := len(w.text)
	if !w.appendText(parts, args) || len(w.text) == a {
		return false
	}
	w.add(key, a)
	return true
}

func (w *walker) setEmpty(key string) { w.add(key, len(w.text)) }

// add adds field key with the text from a to the end of w.text.
func (w *walker) add(key string, a int) {
	if len(w.text) > w.budget {
		w.setErr(errBudget)
	}
	w.ents = append(w.ents, entry{key: key, first: int32(len(w.spans)), n: 1})
	w.spans = append(w.spans, span{int32(a), int32(len(w.text))})
}

// appendText renders text parts and arguments (array items joined by
// commas); child elements are not text and are skipped. It reports
// whether any part had a value.
func (w *walker) appendText(parts []part, args []value) bool {
	present := false
	for _, pt := range parts {
		switch pt.kind {
		case partText:
			w.text = append(w.text, pt.text...)
			present = true
		case partSubst:
			if int(pt.sub) >= len(args) {
				continue
			}
			v := args[pt.sub]
			if v.typ == tNull || v.typ == tBinXML {
				continue
			}
			present = true
			if len(w.text) > w.budget {
				w.setErr(errBudget)
				return present
			}
			b := w.p.chunk[v.off : int(v.off)+int(v.size)]
			if v.typ&arrayFlag == 0 {
				w.text = appendValue(w.text, v.typ, b)
				continue
			}
			sep := false
			splitArray(v.typ, b, func(item []byte) {
				if sep {
					w.text = append(w.text, ',')
				}
				sep = true
				w.text = appendValue(w.text, v.typ&^arrayFlag, item)
			})
		}
	}
	return present
}

// single returns the argument when parts are exactly one substitution.
func single(parts []part, args []value) (value, bool) {
	if len(parts) != 1 || parts[0].kind != partSubst || int(parts[0].sub) >= len(args) {
		return value{}, false
	}
	return args[parts[0].sub], true
}

func isUnsigned(typ uint8) bool {
	switch typ {
	case tUint8, tUint16, tUint32, tUint64:
		return true
	}
	return false
}

// unsigned reads an unsigned argument of any width.
func unsigned(chunk []byte, v value) uint64 {
	b := chunk[v.off : int(v.off)+int(v.size)]
	var n uint64
	for i := min(len(b), 8) - 1; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	return n
}
