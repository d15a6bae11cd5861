package winevent

import (
	"errors"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse"
)

// fromWinlogbeat reads the Winlogbeat / Elastic Agent form: the System part
// under winlog.*, the payload under winlog.event_data / winlog.user_data.
func fromWinlogbeat(root, wl map[string]any) (parse.Record, error) {
	sys := map[string]any{}
	put := func(name string, v any) {
		if s := text(v); s != "" {
			sys[name] = s
		}
	}
	put("EventID", wl["event_id"])
	if sys["EventID"] == nil {
		if ev, ok := root["event"].(map[string]any); ok {
			put("EventID", ev["code"])
		}
	}
	put("Channel", wl["channel"])
	put("Computer", wl["computer_name"])
	put("EventRecordID", wl["record_id"])
	put("Task", wl["task"])
	put("Opcode", wl["opcode"])
	put("Version", wl["version"])
	provider := map[string]any{}
	if s := text(wl["provider_name"]); s != "" {
		provider["Name"] = s
	}
	if s := text(wl["provider_guid"]); s != "" {
		provider["Guid"] = s
	}
	sys["Provider"] = provider
	if p, ok := wl["process"].(map[string]any); ok {
		exec := map[string]any{}
		if s := text(p["pid"]); s != "" {
			exec["ProcessID"] = s
		}
		if th, ok := p["thread"].(map[string]any); ok {
			if s := text(th["id"]); s != "" {
				exec["ThreadID"] = s
			}
		}
		sys["Execution"] = exec
	}
	if u, ok := wl["user"].(map[string]any); ok {
		if s := text(u["identifier"]); s != "" {
			sys["Security"] = map[string]any{"UserID": s}
		}
	}
	if kw, ok := wl["keywords"]; ok {
		sys["Keywords"] = event.String(render(kw))
	}
	if lg, ok := root["log"].(map[string]any); ok {
		put("Level", lg["level"])
	}
	if ts := text(root["@timestamp"]); ts != "" {
		sys["TimeCreated"] = ts
	} else if tc := text(wl["time_created"]); tc != "" {
		sys["TimeCreated"] = tc
	}
	if sys["EventID"] == nil {
		return parse.Record{}, errors.New("winevent: winlog has no event_id")
	}
	return FromParts(sys, wl["event_data"], wl["user_data"])
}

// nxlogSystem maps NXLog's flattened metadata names to System names.
var nxlogSystem = map[string]string{
	"EventID":            "EventID",
	"SourceName":         "Provider_Name",
	"ProviderGuid":       "Provider_Guid",
	"Hostname":           "Computer",
	"Channel":            "Channel",
	"RecordNumber":       "EventRecordID",
	"Task":               "Task",
	"OpcodeValue":        "Opcode",
	"Version":            "Version",
	"Keywords":           "Keywords",
	"ExecutionProcessID": "ProcessID",
	"ExecutionThreadID":  "ThreadID",
	"UserID":             "Security_UserID",
}

// nxlogMeta are NXLog's own additions that no Windows event carries.
var nxlogMeta = map[string]bool{
	"EventReceivedTime": true, "SourceModuleName": true, "SourceModuleType": true,
	"SeverityValue": true, "Severity": true, "@timestamp": true, "@version": true,
	"EventTime": true, "Opcode": true, "Category": true, "AccountName": true,
	"AccountType": true, "Domain": true, "ActivityID": true,
}

// nxlogEventTypes are the values NXLog gives its own EventType field.
var nxlogEventTypes = map[string]bool{
	"INFO": true, "AUDIT_SUCCESS": true, "AUDIT_FAILURE": true, "WARNING": true,
	"ERROR": true, "CRITICAL": true, "VERBOSE": true,
}

// fromNXLog reads NXLog's im_msvistalog output: System values and payload
// fields side by side at the top level under NXLog's names.
func fromNXLog(m map[string]any) (parse.Record, error) {
	f := make(event.Fields, len(m))
	// Payload first, then System names, so a payload field that NXLog
	// would otherwise shadow (Sysmon's EventType) is only lost to a real
	// System name.
	for k, v := range m {
		if _, sys := nxlogSystem[k]; sys || nxlogMeta[k] || k == "TimeCreated" || k == "Level" {
			continue
		}
		if k == "EventType" && nxlogEventTypes[text(v)] {
			continue // NXLog's own severity class, not Sysmon's EventType
		}
		f[k] = render(v)
	}
	for k, name := range nxlogSystem {
		v, ok := m[k]
		if !ok {
			continue
		}
		if _, payload := f[name]; payload && name != "EventID" {
			continue
		}
		s := text(v)
		if name == "Keywords" {
			s = hexText(s)
		}
		if name == "Provider_Guid" {
			s = BraceGUID(s)
		}
		f[name] = s
	}
	if lv, ok := m["Level"]; ok {
		f["Level"] = text(lv)
	}
	rec := parse.Record{Format: Format, Fields: f}
	for _, k := range []string{"TimeCreated", "EventTime", "@timestamp"} {
		if s := text(m[k]); s != "" {
			if t, err := ParseTime(s); err == nil {
				rec.Time = t
				f["TimeCreated"] = FormatTime(t)
				break
			}
		}
	}
	if s, _ := f["EventID"].(string); strings.TrimSpace(s) == "" {
		return parse.Record{}, errors.New("winevent: empty EventID")
	}
	return rec, nil
}
