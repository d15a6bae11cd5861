package normalize

import (
	"reflect"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

func TestWindows(t *testing.T) {
	tests := []struct {
		name   string
		fields event.Fields
		want   event.Fields // subset of the ECS view
		absent []string
	}{
		{
			name: "4624 network logon from an IPv4-mapped address",
			fields: event.Fields{"EventID": "4624", "Channel": "Security", "Computer": "DC01.Corp.local",
				"Provider_Name": "Microsoft-Windows-Security-Auditing", "EventRecordID": "42",
				"TargetUserName": "alice", "TargetDomainName": "CORP", "SubjectUserName": "DC01$",
				"LogonType": "3", "TargetLogonId": "0x3e7", "IpAddress": "::ffff:10.0.0.5", "IpPort": "50123",
				"Keywords": "0x8020000000000000"},
			want: event.Fields{"event.dataset": event.DatasetWindowsSecurity, "event.code": "4624",
				"event.provider": "Microsoft-Windows-Security-Auditing", "winlog.channel": "Security",
				"winlog.record_id": "42", "host.name": "dc01.corp.local", "host.hostname": "dc01",
				"user.name": "alice", "user.domain": "CORP", "source.ip": "10.0.0.5", "source.port": int64(50123),
				"winlog.logon.type": "3", "winlog.logon.id": "0x3e7",
				"event.category": []any{"authentication"}, "event.type": []any{"start"}, "event.outcome": "success"},
		},
		{
			name: "4625 failure with placeholder address",
			fields: event.Fields{"EventID": "4625", "Channel": "Security", "TargetUserName": "bob",
				"IpAddress": "-", "IpPort": "-", "Keywords": "0x8010000000000000"},
			want:   event.Fields{"event.outcome": "failure", "user.name": "bob"},
			absent: []string{"source.ip", "source.port"},
		},
		{
			name: "4688 with hex process ids",
			fields: event.Fields{"EventID": "4688", "Channel": "Security", "SubjectUserName": "PC01$",
				"NewProcessName": `C:\Windows\System32\cmd.exe`, "NewProcessId": "0x1fc", "ProcessId": "0x278",
				"CommandLine": "cmd /c whoami", "ParentProcessName": `C:\Windows\explorer.exe`},
			want: event.Fields{"process.executable": `C:\Windows\System32\cmd.exe`, "process.name": "cmd.exe",
				"process.pid": int64(0x1fc), "process.parent.pid": int64(0x278), "process.command_line": "cmd /c whoami",
				"process.parent.executable": `C:\Windows\explorer.exe`, "user.name": "PC01$",
				"event.category": []any{"process"}},
		},
		{
			name: "4732 member added: subject acts on a group",
			fields: event.Fields{"EventID": "4732", "Channel": "Security", "SubjectUserName": "admin",
				"TargetUserName": "Administrators", "MemberName": "CN=eve,OU=Users,DC=corp", "MemberSid": "S-1-5-21-1"},
			want: event.Fields{"user.name": "admin", "group.name": "Administrators", "user.target.name": "eve",
				"event.type": []any{"change"}},
		},
		{
			name: "sysmon 1 process creation",
			fields: event.Fields{"EventID": "1", "Channel": "Microsoft-Windows-Sysmon/Operational",
				"Image": `C:\Windows\System32\whoami.exe`, "ProcessId": "4460", "User": `CORP\alice`,
				"ParentImage": `C:\Windows\System32\cmd.exe`, "CommandLine": "whoami /all",
				"Hashes": "SHA1=AA,MD5=BB,SHA256=CC,IMPHASH=DD"},
			want: event.Fields{"event.dataset": event.DatasetWindowsSysmon, "process.pid": int64(4460),
				"user.name": "alice", "user.domain": "CORP", "process.parent.executable": `C:\Windows\System32\cmd.exe`,
				"process.hash.sha256": "cc", "process.command_line": "whoami /all"},
		},
		{
			name: "sysmon 3 network connection over IPv6",
			fields: event.Fields{"EventID": "3", "Channel": "Microsoft-Windows-Sysmon/Operational",
				"SourceIp": "FE80::1%12", "SourcePort": "445", "DestinationIp": "10.1.1.1", "DestinationPort": "4444",
				"Protocol": "tcp", "Initiated": "true"},
			want: event.Fields{"source.ip": "fe80::1", "source.port": int64(445), "destination.ip": "10.1.1.1",
				"destination.port": int64(4444), "network.direction": "egress", "network.transport": "tcp"},
		},
		{
			name: "sysmon 11 file and 13 registry",
			fields: event.Fields{"EventID": "13", "Channel": "Microsoft-Windows-Sysmon/Operational",
				"TargetObject": `HKLM\Software\Run\x`, "Details": "c:\\evil.exe"},
			want: event.Fields{"registry.path": `HKLM\Software\Run\x`, "registry.hive": "HKLM", "registry.data.strings": `c:\evil.exe`},
		},
		{
			name:   "system 104 log cleared",
			fields: event.Fields{"EventID": "104", "Channel": "System", "SubjectUserName": "admin"},
			want: event.Fields{"event.dataset": event.DatasetWindowsSystem, "event.action": "audit-log-cleared",
				"user.name": "admin"},
		},
		{
			name:   "other channel",
			fields: event.Fields{"EventID": "4104", "Channel": "Microsoft-Windows-PowerShell/Operational", "ScriptBlockText": "iex x"},
			want:   event.Fields{"event.dataset": event.DatasetWindowsPowerShell, "powershell.file.script_block_text": "iex x"},
		},
		{
			name:   "unknown channel",
			fields: event.Fields{"EventID": "1149", "Channel": "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"},
			want:   event.Fields{"event.dataset": event.DatasetWindowsOther},
			absent: []string{"event.category"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := &event.Event{Fields: tc.fields}
			Windows(ev)
			for k, want := range tc.want {
				if got := ev.ECS[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			for _, k := range tc.absent {
				if v, ok := ev.ECS[k]; ok {
					t.Errorf("%s = %#v, want absent", k, v)
				}
			}
		})
	}
}

func TestWindowsTimestamp(t *testing.T) {
	ev := &event.Event{Fields: event.Fields{"EventID": "1", "TimeCreated": "2019-02-13T18:01:41.5938303Z"}}
	Windows(ev)
	want := time.Date(2019, 2, 13, 18, 1, 41, 593830300, time.UTC)
	if !ev.Timestamp.Equal(want) || ev.Timestamp.Location() != time.UTC {
		t.Errorf("timestamp %v, want %v", ev.Timestamp, want)
	}
}

func TestCanonicalIP(t *testing.T) {
	for in, want := range map[string]string{
		"::ffff:192.168.1.2": "192.168.1.2", "10.0.0.1": "10.0.0.1", "FE80::A%eth0": "fe80::a",
		"[::1]": "::1", "-": "", "": "", "not-an-ip": "",
	} {
		got, ok := CanonicalIP(in)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalIP(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
