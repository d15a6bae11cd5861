package winevent

import (
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/parse/jsonlog"
)

// parseFlat is Parse's fast path: parse/jsonlog's single-pass flattener
// turns the object into dotted keys ("System.Provider.Name",
// "winlog.event_data.Image") without building nested maps, and the keys
// are renamed here. The System, EventData and UserData objects are
// flattened into maps of their own, keyed relative to the object, so their
// members' long names are never built. It gives the same fields as
// FromMap on the decoded object (TestFastPathAgrees).
func parseFlat(data []byte) (parse.Record, error) {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	if err := jsonlog.FlattenSplit(string(data), sc.rest, sc.split); err != nil {
		return parse.Record{}, err
	}
	var system, eventData, userData event.Fields
	switch {
	case sc.arrayWhereObject():
		return parseUnsplit(data)
	case len(sc.split["Event.System"]) > 0:
		system, eventData, userData = sc.split["Event.System"], sc.split["Event.EventData"], sc.split["Event.UserData"]
	case len(sc.split["System"]) > 0:
		system, eventData, userData = sc.split["System"], sc.split["EventData"], sc.split["UserData"]
	case !sc.splitEmpty():
		return parseUnsplit(data) // EventData without System: as the NXLog form
	case hasPrefixKey(sc.rest, "winlog."):
		return flatWinlogbeat(sc.rest)
	default:
		return fromFlatNXLog(sc.rest)
	}
	f := make(event.Fields, len(system)+len(eventData)+len(userData))
	rec := parse.Record{Format: Format, Fields: f}
	for k, v := range system {
		setSystem(f, &rec, k, v)
	}
	if err := finishSystem(f); err != nil {
		return parse.Record{}, err
	}
	payload(f, eventData, "")
	payload(f, userData, "")
	return rec, nil
}

// parseUnsplit is parseFlat for the odd records whose System, EventData or
// UserData member is not an object: everything under one set of dotted
// keys, as FromMap sees it.
func parseUnsplit(data []byte) (parse.Record, error) {
	flat := make(event.Fields, 48)
	if err := jsonlog.Flatten(data, flat); err != nil {
		return parse.Record{}, err
	}
	base := ""
	switch {
	case hasPrefixKey(flat, "Event.System."):
		base = "Event."
	case hasPrefixKey(flat, "System."):
	case hasPrefixKey(flat, "winlog."):
		return flatWinlogbeat(flat)
	default:
		return fromFlatNXLog(flat)
	}
	f := make(event.Fields, len(flat))
	rec := parse.Record{Format: Format, Fields: f}
	sysPrefix := base + "System."
	for k, v := range flat {
		if rest, ok := strings.CutPrefix(k, sysPrefix); ok {
			setSystem(f, &rec, rest, v)
		}
	}
	if err := finishSystem(f); err != nil {
		return parse.Record{}, err
	}
	payload(f, flat, base+"EventData.")
	payload(f, flat, base+"UserData.")
	return rec, nil
}

// fromFlatNXLog reads the NXLog form (EventID among the record's own
// members) from its flattened keys.
func fromFlatNXLog(flat event.Fields) (parse.Record, error) {
	if _, ok := flat["EventID"]; !ok {
		return parse.Record{}, errors.New("winevent: no System, Event, winlog or EventID member")
	}
	return fromNXLog(flat) // it reads the map and builds its own
}

// splitObjects are the members parseFlat flattens into maps of their own.
var splitObjects = []string{"Event.System", "Event.EventData", "Event.UserData", "System", "EventData", "UserData"}

// scratch holds parseFlat's maps between records: the record's fields are
// copied out of them (values are shared, the tables are not), and fresh
// tables per Windows event were the normalizer's largest allocation.
type scratch struct {
	rest  event.Fields
	split map[string]event.Fields
}

var scratchPool = sync.Pool{New: func() any {
	sc := &scratch{rest: make(event.Fields, 8), split: make(map[string]event.Fields, len(splitObjects))}
	for _, name := range splitObjects {
		sc.split[name] = make(event.Fields, 32)
	}
	return sc
}}

func (sc *scratch) release() {
	clear(sc.rest)
	for _, m := range sc.split {
		clear(m)
	}
	scratchPool.Put(sc)
}

func (sc *scratch) splitEmpty() bool {
	for _, m := range sc.split {
		if len(m) > 0 {
			return false
		}
	}
	return true
}

// arrayWhereObject reports leaves under a split name that the flattener
// left among the rest: the member was an array ("System.0.EventID").
func (sc *scratch) arrayWhereObject() bool {
	for k := range sc.rest {
		for _, name := range splitObjects {
			if len(k) > len(name) && k[len(name)] == '.' && strings.HasPrefix(k, name) {
				return true
			}
		}
	}
	return false
}

func hasPrefixKey(f event.Fields, prefix string) bool {
	for k := range f {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// setSystem maps one flattened System key (relative to System.) to its
// field name.
func setSystem(f event.Fields, rec *parse.Record, k string, v any) {
	head, leaf, nested := systemKey(k)
	switch head {
	case "Provider":
		if nested {
			if s := text(v); s != "" {
				f[providerField(leaf)] = s
			}
		} else if s := text(v); s != "" {
			f["Provider_Name"] = s // python-evtx classic providers
		}
	case "EventID":
		if !nested || leaf == "#text" || leaf == "Value" {
			f["EventID"] = text(v)
		}
	case "TimeCreated":
		if !nested || leaf == "SystemTime" || leaf == "#text" {
			s := text(v)
			if t, err := ParseTime(s); err == nil {
				rec.Time = t
				f["TimeCreated"] = FormatTime(t)
			} else if s != "" {
				f["TimeCreated"] = s
			}
		}
	case "Execution":
		if nested && !strings.Contains(leaf, ".") {
			if s := text(v); s != "" {
				f[leaf] = s
			}
		}
	case "Security":
		if leaf == "UserID" {
			if s := text(v); s != "" {
				f["Security_UserID"] = s
			}
		}
	case "Keywords":
		if !nested || leaf == "#text" {
			f["Keywords"] = hexText(text(v))
		}
	case "EventID_attrs", "Correlation", "#attributes", "xmlns":
	default:
		if v != nil && (!nested || leaf == "#text") {
			f[head] = textValue(v)
		}
	}
}

// systemKey cuts a System key at its first dot once its first
// "#attributes." is gone ("Provider.#attributes.Name" → Provider, Name),
// building no new string for the shapes exporters write.
func systemKey(k string) (head, leaf string, nested bool) {
	const attrs = "#attributes."
	i := strings.Index(k, attrs)
	switch {
	case i < 0:
		return strings.Cut(k, ".")
	case i == 0:
		return strings.Cut(k[len(attrs):], ".")
	case strings.IndexByte(k, '.') == i-1:
		return k[:i-1], k[i+len(attrs):], true
	}
	return strings.Cut(strings.Replace(k, attrs, "", 1), ".")
}

// providerField names a Provider attribute's field.
func providerField(attr string) string {
	switch attr {
	case "Name":
		return "Provider_Name"
	case "Guid":
		return "Provider_Guid"
	case "EventSourceName":
		return "Provider_EventSourceName"
	}
	return "Provider_" + attr
}

// finishSystem applies the rules FromParts applies after the System loop.
func finishSystem(f event.Fields) error {
	if s, ok := f["Provider_Name"].(string); !ok || s == "" {
		if src, ok := f["Provider_EventSourceName"].(string); ok {
			f["Provider_Name"] = src
		}
	}
	if g, ok := f["Provider_Guid"].(string); ok {
		f["Provider_Guid"] = BraceGUID(g)
	}
	if id, _ := f["EventID"].(string); id == "" {
		return errors.New("winevent: System has no EventID")
	}
	return nil
}

// payload copies EventData / UserData entries under prefix to the top
// level: "X" and "X.#text" as X, "Data.N.Name" + "Data.N.#text" (a <Data>
// list some exporters keep) by Name, UserData's nested leaves by their own
// name.
func payload(f, flat event.Fields, prefix string) {
	type item struct{ name, value any }
	var items map[string]*item
	for k, v := range flat {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if d, ok := strings.CutPrefix(rest, "Data."); ok {
			// Data.N.Name / Data.N.#text, or Data.Name / Data.#text.
			idx, field, ok := strings.Cut(d, ".")
			if !ok {
				idx, field = "", d
			}
			field = strings.TrimPrefix(field, "#attributes.")
			if items == nil {
				items = map[string]*item{}
			}
			it := items[idx]
			if it == nil {
				it = &item{}
				items[idx] = it
			}
			switch field {
			case "Name":
				it.name = v
			case "#text", "Value", "value":
				it.value = v
			}
			continue
		}
		leaf := rest
		if strings.IndexByte(rest, '.') >= 0 { // nested: most entries are not
			parts := strings.Split(rest, ".")
			leaf = parts[len(parts)-1]
			if leaf == "#text" && len(parts) > 1 {
				leaf = parts[len(parts)-2]
			}
			if skipLeaf(parts, leaf) {
				continue
			}
		} else if skipLeaf(nil, leaf) {
			continue
		}
		f[leaf] = render(v)
	}
	if len(items) > 0 {
		keys := make([]string, 0, len(items))
		for k := range items {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			it := items[k]
			if name := text(it.name); name != "" {
				f[name] = render(it.value)
			}
		}
	}
}

// skipLeaf drops attributes, namespace declarations and python-evtx's "_"
// (the UserData wrapper element's name).
func skipLeaf(parts []string, leaf string) bool {
	if leaf == "_" || leaf == "xmlns" || strings.HasPrefix(leaf, "xmlns:") {
		return true
	}
	for _, p := range parts[:max(len(parts)-1, 0)] {
		if p == "#attributes" {
			return true
		}
	}
	return leaf == "#attributes"
}

// flatWinlogbeat maps the flattened Winlogbeat form.
// winlogbeatSystem names the System fields of a Winlogbeat record.
var winlogbeatSystem = map[string]string{
	"winlog.event_id": "EventID", "winlog.channel": "Channel", "winlog.computer_name": "Computer",
	"winlog.record_id": "EventRecordID", "winlog.task": "Task", "winlog.opcode": "Opcode",
	"winlog.version": "Version", "winlog.provider_name": "Provider_Name",
	"winlog.provider_guid": "Provider_Guid", "winlog.process.pid": "ProcessID",
	"winlog.process.thread.id": "ThreadID", "winlog.user.identifier": "Security_UserID",
	"log.level": "Level",
}

func flatWinlogbeat(flat event.Fields) (parse.Record, error) {
	f := make(event.Fields, len(flat))
	rec := parse.Record{Format: Format, Fields: f}
	for k, name := range winlogbeatSystem {
		if v, ok := flat[k]; ok {
			if s := text(v); s != "" {
				f[name] = s
			}
		}
	}
	if _, ok := f["EventID"]; !ok {
		if s := text(flat["event.code"]); s != "" {
			f["EventID"] = s
		}
	}
	if kw, ok := flat["winlog.keywords"]; ok {
		f["Keywords"] = event.String(render(kw))
	}
	ts := text(flat["@timestamp"])
	if ts == "" {
		ts = text(flat["winlog.time_created"])
	}
	if t, err := ParseTime(ts); err == nil {
		rec.Time = t
		f["TimeCreated"] = FormatTime(t)
	} else if ts != "" {
		f["TimeCreated"] = ts
	}
	if err := finishSystem(f); err != nil {
		return parse.Record{}, errors.New("winevent: winlog has no event_id")
	}
	payload(f, flat, "winlog.event_data.")
	payload(f, flat, "winlog.user_data.")
	return rec, nil
}
