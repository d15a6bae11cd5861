package intel

import "time"

// Policy is what one consumer (a firewall, a DNS resolver, a partner's
// TAXII client) may receive.
type Policy struct {
	MinConfidence int
	Warn          WarningLists
}

// Distributable reports whether an indicator may go to a blocking device:
// marked to_block, in force at now, confident enough for the consumer and
// on no warning list. (A pointer: lists of a million are checked per
// request, and an IOC is some 300 bytes to copy.)
func (p Policy) Distributable(i *IOC, now time.Time) bool {
	return i.ToBlock && i.Active(now) && i.Confidence >= p.MinConfidence && p.Warn.Hit(i.Type, i.Value) == ""
}
