package event

import "strings"

// Values of the ECS field "event.dataset" that the normalizer sets. Log
// source selection (Sigma logsource mapping), storage and dashboards key on
// them, so they are part of the contract between parsers and detectors.
const (
	DatasetWindowsSecurity   = "windows.security"
	DatasetWindowsSystem     = "windows.system"
	DatasetWindowsSysmon     = "windows.sysmon"
	DatasetWindowsPowerShell = "windows.powershell"
	DatasetWindowsOther      = "windows.other" // any other channel; winlog.channel has the name
	DatasetLinuxAuth         = "linux.auth"    // sshd, sudo, su, PAM, login via syslog
	DatasetLinuxAuditd       = "linux.auditd"
	DatasetLinuxSyslog       = "linux.syslog" // any other syslog program
	DatasetFirewall          = "network.firewall"
	DatasetWebAccess         = "web.access"
	DatasetWebError          = "web.error"
	DatasetZeekPrefix        = "zeek." // zeek.conn, zeek.ssh, …
	DatasetSuricata          = "suricata.eve"
	DatasetCloudTrail        = "aws.cloudtrail"
	DatasetGeneric           = "generic" // parsed, but of no known source type
)

// windowsChannels maps lower-cased Windows channels to their dataset.
var windowsChannels = map[string]string{
	"security":                             DatasetWindowsSecurity,
	"system":                               DatasetWindowsSystem,
	"microsoft-windows-sysmon/operational": DatasetWindowsSysmon,
	"microsoft-windows-powershell/operational": DatasetWindowsPowerShell,
	"windows powershell":                       DatasetWindowsPowerShell,
	"powershellcore/operational":               DatasetWindowsPowerShell,
}

// WindowsDataset is the dataset of a Windows event by its channel (any
// case); any other channel is windows.other. The normalizer sets it, and
// the Sigma engine falls back to it for events that arrive without one.
func WindowsDataset(channel string) string {
	if ds, ok := windowsChannels[strings.ToLower(channel)]; ok {
		return ds
	}
	return DatasetWindowsOther
}
