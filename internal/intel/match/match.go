// Package match checks events against a tenant's indicators at line rate
// and is the threat-intel detect.Detector: every event's addresses,
// domains (and their parent domains), URLs, hashes, e-mail addresses, file
// names, user agents and TLS fingerprints are looked up; a hit adds
// threat.indicator.* fields to the event and yields a detect.Match.
//
// Reads never lock: each tenant's indicators sit in immutable sets behind
// an atomic pointer. An update builds a small delta set beside the large
// base set and swaps the pointer (copy-on-write); once the delta grows past
// a fraction of the base, the two are merged into a new base, again off
// to the side. Ingest never waits for an update.
//
// The matcher never does I/O and never decides what happens to a match:
// alerts, scores and notifications are the alert stage's job.
package match

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/intel"
)

// Matcher holds every tenant's indicators.
type Matcher struct {
	mu    sync.Mutex // serialises writers; readers never take it
	views atomic.Pointer[map[string]*view]
	warn  intel.WarningLists
	now   func() time.Time

	hitMu sync.Mutex
	hits  map[string]map[string]int64 // tenant → indicator id → count
}

// view is one tenant's indicators: base plus a delta of recent changes.
type view struct {
	base    *set
	delta   *set
	pending map[entryKey]Entry // the delta's entries and tombstones by key
	removed map[entryKey]bool  // keys withdrawn since base was built
	live    int
}

// New makes an empty matcher. Indicators on a warning list are never
// matched.
func New(warn intel.WarningLists) *Matcher {
	m := &Matcher{warn: warn, now: func() time.Time { return time.Now().UTC() }, hits: map[string]map[string]int64{}}
	empty := map[string]*view{}
	m.views.Store(&empty)
	return m
}

// SetClock replaces the clock that decides expiry (tests).
func (m *Matcher) SetClock(now func() time.Time) { m.now = now }

func (m *Matcher) keep(i intel.IOC) bool {
	return i.Active(m.now()) && m.warn.Hit(i.Type, i.Value) == ""
}

// swap installs a tenant's new view by copying the (small) tenant map.
func (m *Matcher) swap(tenant string, v *view) {
	old := *m.views.Load()
	next := make(map[string]*view, len(old)+1)
	for k, x := range old {
		next[k] = x
	}
	next[tenant] = v
	m.views.Store(&next)
}

// Replace loads a tenant's full indicator set.
func (m *Matcher) Replace(tenant string, iocs []intel.IOC) {
	v := m.load(iocs)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.swap(tenant, v)
}

// load builds a view of the indicators in force among iocs; of a key
// listed twice, the later wins.
func (m *Matcher) load(iocs []intel.IOC) *view {
	entries := make([]Entry, 0, len(iocs))
	for _, i := range iocs {
		if m.keep(i) {
			entries = append(entries, EntryOf(i))
		}
	}
	return &view{base: build(entries), delta: build(nil), live: len(entries)}
}

// Apply folds changed indicators (new, edited, revoked, expired) into a
// tenant's set.
func (m *Matcher) Apply(tenant string, changed []intel.IOC) {
	if len(changed) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v := (*m.views.Load())[tenant]
	if v == nil {
		v = &view{base: build(nil), delta: build(nil)}
	}
	// A first bulk load has nothing to fold into: built directly, it
	// skips the map of pending keys. (Only when every indicator is in
	// force: a later report that withdraws an earlier one needs the map.)
	if len(v.base.entries) == 0 && len(v.pending) == 0 && len(changed) > 4096 {
		if nv := m.load(changed); nv.live == len(changed) {
			m.swap(tenant, nv)
			return
		}
	}
	pending := make(map[entryKey]Entry, len(v.pending)+len(changed))
	for k, e := range v.pending {
		pending[k] = e
	}
	for _, i := range changed {
		e := EntryOf(i)
		if !m.keep(i) {
			e = Entry{Type: i.Type, Value: i.Value, removed: true}
		}
		pending[e.key()] = e
	}
	if len(pending) > 4096 && len(pending) > len(v.base.entries)/16 {
		m.swap(tenant, compact(v.base, pending))
		return
	}
	nv := &view{base: v.base, pending: pending, removed: map[entryKey]bool{}}
	entries := make([]Entry, 0, len(pending))
	for k, e := range pending {
		if e.removed {
			nv.removed[k] = true
			continue
		}
		entries = append(entries, e)
	}
	nv.delta = build(entries)
	nv.live = len(v.base.entries) + len(entries) - len(nv.removed)
	m.swap(tenant, nv)
}

// compact merges a base and a delta into a new base.
func compact(base *set, pending map[entryKey]Entry) *view {
	entries := make([]Entry, 0, len(base.entries)+len(pending))
	for k := range base.entries {
		if _, changed := pending[base.entries[k].key()]; !changed {
			entries = append(entries, base.entries[k])
		}
	}
	for _, e := range pending {
		if !e.removed {
			entries = append(entries, e)
		}
	}
	return &view{base: build(entries), delta: build(nil), live: len(entries)}
}

// Len is the number of indicators a tenant's set holds (approximate while
// a delta holds updates of base entries).
func (m *Matcher) Len(tenant string) int {
	if v := (*m.views.Load())[tenant]; v != nil {
		return v.live
	}
	return 0
}

// lookup finds the entry for one value of a type family.
func (v *view) find(get func(*set) *Entry) *Entry {
	if e := get(v.delta); e != nil {
		return e
	}
	e := get(v.base)
	if e != nil && v.removed[e.key()] {
		return nil
	}
	return e
}

// Lookup answers whether a value (of any type, canonical or not) is a
// known, unexpired indicator of the tenant: the API's "check" and the
// retro-hunt use it.
func (m *Matcher) Lookup(tenant string, t intel.Type, value string) (Entry, bool) {
	v := (*m.views.Load())[tenant]
	if v == nil {
		return Entry{}, false
	}
	t, value, err := intel.Canonical(t, value)
	if err != nil {
		return Entry{}, false
	}
	var e *Entry
	switch t {
	case intel.IPv4, intel.IPv6:
		a := netip.MustParseAddr(value)
		e = v.find(func(s *set) *Entry { return s.ip(a) })
	case intel.CIDR:
		e = v.find(func(s *set) *Entry { return s.exactNet(value) })
	case intel.Domain:
		e = v.find(func(s *set) *Entry { return s.domain(value) })
	default:
		e = v.find(func(s *set) *Entry { return s.exactly(t, value) })
	}
	if e == nil || (!e.Expires.IsZero() && !m.now().Before(e.Expires)) {
		return Entry{}, false
	}
	return *e, true
}

func (s *set) exactNet(value string) *Entry {
	p, err := netip.ParsePrefix(value)
	if err != nil {
		return nil
	}
	e := s.ip(p.Addr())
	if e != nil && e.Value == value {
		return e
	}
	return nil
}

// TakeHits returns and resets the hit counts gathered since the last call,
// by tenant and indicator id, for the store's hit counters.
func (m *Matcher) TakeHits() map[string]map[string]int64 {
	m.hitMu.Lock()
	defer m.hitMu.Unlock()
	h := m.hits
	m.hits = map[string]map[string]int64{}
	return h
}

func (m *Matcher) countHit(tenant, id string) {
	m.hitMu.Lock()
	t := m.hits[tenant]
	if t == nil {
		t = map[string]int64{}
		m.hits[tenant] = t
	}
	t[id]++
	m.hitMu.Unlock()
}

// Field groups: the ECS fields (and a few native ones) checked per kind.
var (
	ipFields     = []string{"source.ip", "destination.ip", "client.ip", "server.ip", "related.ip", "dns.resolved_ip"}
	domainFields = []string{"destination.domain", "source.domain", "client.domain", "server.domain", "url.domain",
		"dns.question.name", "tls.client.server_name", "related.hosts"}
	urlFields   = []string{"url.full", "url.original"}
	hashFields  = []string{"file.hash.md5", "file.hash.sha1", "file.hash.sha256", "process.hash.md5", "process.hash.sha1", "process.hash.sha256", "related.hash"}
	emailFields = []string{"email.from.address", "email.sender.address", "email.reply_to.address", "email.to.address", "user.email", "source.user.email"}
	fileFields  = []string{"file.name", "process.name"}
	uaFields    = []string{"user_agent.original"}
	ja3Fields   = []string{"tls.client.ja3"}
	ja4Fields   = []string{"tls.client.ja4"}
	// sysmonHashes is Sysmon's "SHA1=…,MD5=…,SHA256=…,IMPHASH=…" field.
	sysmonHashes = "Hashes"
)

// Type groups, as typeBit masks.
var (
	ipKinds   = typeBit(intel.IPv4) | typeBit(intel.IPv6) | typeBit(intel.CIDR)
	hashKinds = typeBit(intel.MD5) | typeBit(intel.SHA1) | typeBit(intel.SHA256)
)

// has reports whether the view holds indicators of any of the kinds.
func (v *view) has(kinds uint32) bool { return (v.base.kinds|v.delta.kinds)&kinds != 0 }

// Detect implements detect.Detector.
func (m *Matcher) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	v := (*m.views.Load())[ev.Tenant]
	if v == nil || v.live == 0 {
		return out
	}
	d := detection{m: m, v: v, ev: ev, out: out}
	if v.has(ipKinds) {
		d.ips()
	}
	if v.has(typeBit(intel.Domain)) {
		d.domains()
	}
	if v.has(typeBit(intel.URL)) {
		d.urls()
	}
	if v.has(hashKinds) {
		d.hashes()
	}
	if v.has(typeBit(intel.Email) | typeBit(intel.FileName) | typeBit(intel.UserAgent) | typeBit(intel.JA3) | typeBit(intel.JA4)) {
		d.others()
	}
	return d.out
}

func (d *detection) ips() {
	v := d.v
	d.fields(ipFields, func(s string) *Entry {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil
		}
		a = a.Unmap()
		return v.find(func(x *set) *Entry { return x.ip(a) })
	})
}

func (d *detection) domains() {
	v := d.v
	d.fields(domainFields, func(s string) *Entry {
		s = lowerIfNeeded(strings.TrimSuffix(s, "."))
		return v.find(func(x *set) *Entry { return x.domain(s) })
	})
}

func (d *detection) urls() {
	v := d.v
	d.fields(urlFields, func(s string) *Entry {
		if e := v.find(func(x *set) *Entry { return x.exactly(intel.URL, s) }); e != nil {
			return e
		}
		if !urlNeedsCanonical(s) {
			return nil
		}
		if _, c, err := intel.Canonical(intel.URL, s); err == nil && c != s {
			return v.find(func(x *set) *Entry { return x.exactly(intel.URL, c) })
		}
		return nil
	})
}

func (d *detection) hashes() {
	v, ev := d.v, d.ev
	d.fields(hashFields, func(s string) *Entry { return v.hash(lowerIfNeeded(s)) })
	if raw, ok := ev.Get(sysmonHashes); ok {
		for _, part := range strings.Split(event.String(raw), ",") {
			if _, h, ok := strings.Cut(part, "="); ok {
				d.check(sysmonHashes, h, v.hash(lowerIfNeeded(h)))
			}
		}
	}
}

func (d *detection) others() {
	v := d.v
	d.fields(emailFields, func(s string) *Entry {
		s = lowerIfNeeded(s)
		return v.find(func(x *set) *Entry { return x.exactly(intel.Email, s) })
	})
	d.fields(fileFields, func(s string) *Entry {
		if i := strings.LastIndexAny(s, `/\`); i >= 0 {
			s = s[i+1:]
		}
		return v.find(func(x *set) *Entry { return x.exactly(intel.FileName, s) })
	})
	d.fields(uaFields, func(s string) *Entry { return v.find(func(x *set) *Entry { return x.exactly(intel.UserAgent, s) }) })
	d.fields(ja3Fields, func(s string) *Entry {
		s = lowerIfNeeded(s)
		return v.find(func(x *set) *Entry { return x.exactly(intel.JA3, s) })
	})
	d.fields(ja4Fields, func(s string) *Entry {
		s = lowerIfNeeded(s)
		return v.find(func(x *set) *Entry { return x.exactly(intel.JA4, s) })
	})
}

func (v *view) hash(h string) *Entry {
	var t intel.Type
	switch len(h) {
	case 32:
		t = intel.MD5
	case 40:
		t = intel.SHA1
	case 64:
		t = intel.SHA256
	default:
		return nil
	}
	return v.find(func(x *set) *Entry { return x.exactly(t, h) })
}

// urlNeedsCanonical reports whether a URL's scheme or host has upper-case
// letters, the only difference canonicalisation makes to a logged URL;
// most URLs do not, and skip the parse.
func urlNeedsCanonical(u string) bool {
	end := len(u)
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexAny(u[i+3:], "/?#"); j >= 0 {
			end = i + 3 + j
		}
	}
	for i := 0; i < end; i++ {
		if c := u[i]; c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// lowerIfNeeded lower-cases ASCII only when needed, so the common case
// allocates nothing.
func lowerIfNeeded(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// detection is the state of one Detect call.
type detection struct {
	m    *Matcher
	v    *view
	ev   *event.Event
	out  []detect.Match
	seen []string // indicator ids already reported for this event
}

// fields checks the named fields of the normalized view; an event without
// one (no normalizer ran) is checked under the same names in its parsed
// fields instead.
func (d *detection) fields(names []string, find func(string) *Entry) {
	from := d.ev.ECS
	if len(from) == 0 {
		from = d.ev.Fields
	}
	for _, f := range names {
		raw, ok := from[f]
		if !ok {
			continue
		}
		switch x := raw.(type) {
		case string:
			if x != "" {
				d.check(f, x, find(x))
			}
		case []any:
			for _, item := range x {
				if s, ok := item.(string); ok && s != "" {
					d.check(f, s, find(s))
				}
			}
		case []string:
			for _, s := range x {
				if s != "" {
					d.check(f, s, find(s))
				}
			}
		}
	}
}

func (d *detection) check(field, atom string, e *Entry) {
	if e == nil {
		return
	}
	if !e.Expires.IsZero() && !d.m.now().Before(e.Expires) {
		return
	}
	for _, id := range d.seen {
		if id == e.ID {
			return
		}
	}
	d.seen = append(d.seen, e.ID)
	if len(d.seen) == 1 {
		enrich(d.ev, e, field, atom)
	}
	d.m.countHit(d.ev.Tenant, e.ID)
	d.out = append(d.out, MatchFor(d.ev, e, field, atom))
}

// RuleID names the detection of an indicator type.
func RuleID(t intel.Type) string { return "yagura-intel-" + string(t) }

// Level is the alert level of a hit: the indicator's confidence decides.
func Level(confidence int) string {
	switch {
	case confidence >= 85:
		return "high"
	case confidence >= 60:
		return "medium"
	case confidence >= 30:
		return "low"
	}
	return "informational"
}

// MatchFor builds the match for a hit of e on ev.
func MatchFor(ev *event.Event, e *Entry, field, atom string) detect.Match {
	tags := make([]string, 0, 2+len(e.Tags))
	tags = append(tags, "intel", "intel.source."+e.Source)
	for k, t := range e.Tags {
		if k == 8 {
			break
		}
		tags = append(tags, "intel.tag."+t)
	}
	return detect.Match{
		Tenant: ev.Tenant, RuleID: RuleID(e.Type),
		RuleTitle: "Threat intelligence: " + string(e.Type) + " " + e.Value + " (" + e.Source + ")",
		Level:     Level(e.Confidence), Tags: tags, Time: ev.Timestamp, Events: []*event.Event{ev},
		Fields: event.Fields{
			"threat.indicator.confidence":       int64(e.Confidence),
			"threat.indicator.type":             ecsType(e.Type),
			"threat.indicator.id":               e.ID,
			"threat.indicator.value":            e.Value,
			"threat.indicator.provider":         e.Source,
			"threat.enrichments.matched.field":  field,
			"threat.enrichments.matched.atomic": atom,
		},
	}
}

// ecsType is the ECS (STIX-derived) name of an indicator type.
func ecsType(t intel.Type) string {
	switch t {
	case intel.IPv4:
		return "ipv4-addr"
	case intel.IPv6:
		return "ipv6-addr"
	case intel.CIDR:
		return "network"
	case intel.Domain:
		return "domain-name"
	case intel.URL:
		return "url"
	case intel.Email:
		return "email-addr"
	case intel.MD5, intel.SHA1, intel.SHA256, intel.FileName:
		return "file"
	}
	return "unknown"
}

// enrich adds the ECS threat.indicator.* fields of the first hit.
func enrich(ev *event.Event, e *Entry, field, atom string) {
	ev.SetECS("threat.indicator.type", ecsType(e.Type))
	ev.SetECS("threat.indicator.confidence", ecsConfidence(e.Confidence))
	ev.SetECS("threat.indicator.provider", e.Source)
	ev.SetECS("threat.indicator.marking.tlp", strings.ToUpper(e.TLP))
	ev.SetECS("threat.indicator.first_seen", e.FirstSeen.Format(time.RFC3339))
	ev.SetECS("threat.indicator.last_seen", e.LastSeen.Format(time.RFC3339))
	ev.SetECS("threat.enrichments.matched.field", field)
	ev.SetECS("threat.enrichments.matched.atomic", atom)
	ev.SetECS("threat.enrichments.matched.type", "indicator_match_rule")
	switch e.Type {
	case intel.IPv4, intel.IPv6:
		ev.SetECS("threat.indicator.ip", e.Value)
	case intel.CIDR:
		ev.SetECS("threat.indicator.ip", atom)
		ev.SetECS("threat.indicator.description", "in network "+e.Value)
	case intel.Domain:
		ev.SetECS("threat.indicator.url.domain", e.Value)
	case intel.URL:
		ev.SetECS("threat.indicator.url.full", e.Value)
	case intel.MD5, intel.SHA1, intel.SHA256:
		ev.SetECS("threat.indicator.file.hash."+string(e.Type), e.Value)
	case intel.FileName:
		ev.SetECS("threat.indicator.file.name", e.Value)
	case intel.Email:
		ev.SetECS("threat.indicator.email.address", e.Value)
	}
}

// ecsConfidence maps 0-100 to the STIX/ECS None-Low-Medium-High scale.
func ecsConfidence(c int) string {
	switch {
	case c >= 70:
		return "High"
	case c >= 30:
		return "Medium"
	case c >= 1:
		return "Low"
	}
	return "None"
}
