package event

import "testing"

func TestWindowsDataset(t *testing.T) {
	for channel, want := range map[string]string{
		"Security":                             DatasetWindowsSecurity,
		"SYSTEM":                               DatasetWindowsSystem,
		"Microsoft-Windows-Sysmon/Operational": DatasetWindowsSysmon,
		"Windows PowerShell":                   DatasetWindowsPowerShell,
		"PowerShellCore/Operational":           DatasetWindowsPowerShell,
		"Microsoft-Windows-TaskScheduler/Operational": DatasetWindowsOther,
		"": DatasetWindowsOther,
	} {
		if got := WindowsDataset(channel); got != want {
			t.Errorf("WindowsDataset(%q) = %q, want %q", channel, got, want)
		}
	}
}
