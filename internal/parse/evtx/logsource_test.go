package evtx

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/yagura-soc/yagura/internal/parse"
	"github.com/yagura-soc/yagura/internal/shareddata"
)

// sysmonCategory maps Sysmon event ids to the Sigma category whose field
// list SigmaHQ keeps in tests/logsource.json.
var sysmonCategory = map[string]string{
	"1": "process_creation", "2": "file_change", "3": "network_connection", "4": "sysmon_status",
	"5": "process_termination", "6": "driver_load", "7": "image_load", "8": "create_remote_thread",
	"9": "raw_access_thread", "10": "process_access", "11": "file_event", "12": "registry_add",
	"13": "registry_set", "14": "registry_rename", "15": "create_stream_hash", "16": "sysmon_status",
	"17": "pipe_created", "18": "pipe_created", "19": "wmi_event", "20": "wmi_event", "21": "wmi_event",
	"22": "dns_query", "23": "file_delete", "24": "clipboard_capture", "25": "process_tampering",
	"26": "file_delete", "29": "file_executable_detected", "255": "sysmon_error",
}

// systemFields are the System-derived names every record carries besides
// SigmaHQ's common fields (see parse/winevent), plus RuleName and UtcTime,
// which Sysmon writes into every event but no SigmaHQ rule uses, so its list
// omits them.
var systemFields = []string{"EventRecordID", "Level", "Task", "Opcode", "Keywords", "Version",
	"ProcessID", "ThreadID", "TimeCreated", "Provider_Guid", "Provider_EventSourceName",
	"RuleName", "UtcTime"}

// TestSysmonFieldsAreSigmaNames checks that every field name the parser
// yields for the corpus' Sysmon events is one SigmaHQ's logsource field list
// allows for that event's category (or a System field), so rules address
// what the parser produces.
func TestSysmonFieldsAreSigmaNames(t *testing.T) {
	var ls struct {
		Legit, Addon struct {
			Windows struct {
				Common   []string            `json:"common"`
				Category map[string][]string `json:"category"`
			} `json:"windows"`
		}
	}
	b, err := os.ReadFile(shareddata.Path(t, "sigma", "tests", "logsource.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ls); err != nil {
		t.Fatal(err)
	}
	allowed := func(cat string) map[string]bool {
		m := map[string]bool{}
		for _, l := range [][]string{ls.Legit.Windows.Common, systemFields, ls.Legit.Windows.Category[cat], ls.Addon.Windows.Category[cat]} {
			for _, f := range l {
				m[f] = true
			}
		}
		return m
	}
	root, files := evtxFiles(t)
	unknown := map[string]map[string]int{} // category → field → count
	checked := 0
	for _, rel := range files {
		err := ReadFile(filepath.Join(root, rel), func(rec parse.Record, err error) error {
			if err != nil || rec.Fields["Provider_Name"] != "Microsoft-Windows-Sysmon" {
				return nil
			}
			cat, ok := sysmonCategory[rec.Fields["EventID"].(string)]
			if !ok {
				return nil
			}
			checked++
			ok2 := allowed(cat)
			for k := range rec.Fields {
				if !ok2[k] {
					if unknown[cat] == nil {
						unknown[cat] = map[string]int{}
					}
					unknown[cat][k]++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var report []string
	for cat, fs := range unknown {
		for f, n := range fs {
			report = append(report, cat+"."+f+" ×"+strconv.Itoa(n))
		}
	}
	sort.Strings(report)
	if len(report) > 0 {
		t.Errorf("field names SigmaHQ does not list for the category: %s", strings.Join(report, ", "))
	}
	t.Logf("%d Sysmon records checked", checked)
	if checked < 1000 {
		t.Errorf("only %d Sysmon records", checked)
	}
}
