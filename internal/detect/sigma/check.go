package sigma

// CheckReport is the outcome of checking rule files, as printed by
// "yagura rules check --json".
type CheckReport struct {
	Loaded   int         `json:"loaded"`
	Rejected []Rejection `json:"rejected"`
}

// CheckPaths loads rules from files and directories and reports how many
// loaded and why the others were rejected. The error is reserved for paths
// that cannot be read.
func CheckPaths(paths ...string) (CheckReport, error) {
	set, rejected, err := LoadPaths(paths...)
	if err != nil {
		return CheckReport{}, err
	}
	if rejected == nil {
		rejected = []Rejection{}
	}
	return CheckReport{Loaded: set.Len(), Rejected: rejected}, nil
}
