// Package sigma is Yagura's Sigma detection engine: it loads Sigma rules
// (detection rules, meta-filters and correlation rules), compiles them into
// matcher trees and evaluates events against them.
//
// Typical use:
//
//	set, rejected, err := sigma.LoadPaths("rules/", "more.yml") // err: unreadable path only
//	for _, r := range rejected { log.Print(r) }                  // each with a reason
//	eng, err := sigma.NewEngine(set, sigma.Options{})           // default logsource mapping
//	matches := eng.Detect(ev, nil)                               // appends detect.Match
//
// The Engine implements detect.Detector and is safe for concurrent use by
// many goroutines. Rules are bucketed by logsource: an event only evaluates
// the rules whose logsource selects it, as decided by its event.dataset, its
// event id and the mapping in logsources.yaml (embedded; overridable with
// LoadLogsourceConfig and Options.Logsources). The same mapping renames
// fields per event kind (Security 4688 NewProcessName → Image) and lists the
// ECS names a Sigma field falls back to when the native field is absent.
//
// Matching follows the Sigma specification v2.1: case-insensitive by
// default, wildcards * and ? with backslash escapes, every modifier of the
// modifiers appendix chained left to right, conditions with not/and/or,
// parentheses and "1 of"/"all of" quantifiers. Patterns are lower-cased at
// compile time and field values once per event, so evaluation allocates
// nothing for events that match no rule.
//
// Correlation rules loaded with the rules they refer to run inside the same
// Engine (state in package correlate, bounded by Options.Correlation): their
// matches come out of Detect with Match.Correlation set. Meta-filters are
// AND-ed to the rules they name. Stats, CorrelationStats and Collectors
// (Prometheus) report what was compiled, what is unmapped and what the
// correlation state had to evict.
//
// CheckPaths backs "yagura rules check". docs/detection.md describes the
// field mapping, placeholders, filters and correlations for rule authors.
//
// This package must never do I/O while evaluating events, never keep a
// reference to an event after Detect returns (matches excepted), and never
// panic, whatever rule or event it is given.
package sigma
