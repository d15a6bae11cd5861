// Package service keeps a tenant's threat intelligence in step: the IOC
// store (the truth), the matcher the pipeline runs (intel/match) and the
// distribution lists the exporters render (intel/export). Imports and
// edits go to the store first; what the store reports as changed is then
// folded into the matcher and the lists, so an indicator is matched and
// exported as soon as its transaction commits. New indicators are
// retro-hunted in the recent stored events.
//
// The service never parses feeds itself (intel/feed/... does) and never
// renders an export format (intel/export does); HTTP and the command line
// call it, it calls nothing above it.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/export"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/feed/csv"
	"github.com/yagura-soc/yagura/internal/intel/feed/misp"
	"github.com/yagura-soc/yagura/internal/intel/feed/stix"
	"github.com/yagura-soc/yagura/internal/intel/feed/text"
	"github.com/yagura-soc/yagura/internal/intel/match"
	"github.com/yagura-soc/yagura/internal/store"
)

// Config tunes the service; zero values take the defaults.
type Config struct {
	// Warn are the warning lists; nil means intel.DefaultWarningLists.
	Warn intel.WarningLists
	// DefaultMinConfidence applies to export consumers without a
	// threshold of their own (default 50).
	DefaultMinConfidence int
	// RetroHuntWindow is how far back new indicators are searched in the
	// stored events (default 30 days; negative disables retro-hunting).
	RetroHuntWindow time.Duration
	// RetroHuntMax bounds the new indicators one import retro-hunts
	// (default 500); bulk loads beyond it are reported, not hunted.
	RetroHuntMax int
	// AlertWindow is the dedup window of retrospective alerts (default 1h).
	AlertWindow time.Duration
	// Matcher is the matcher to keep in step, when the detector chain was
	// built before the stores opened; nil makes a new one.
	Matcher *match.Matcher
	Now     func() time.Time
	Log     *slog.Logger
}

// Service is the threat-intelligence service of one Yagura server.
type Service struct {
	cfg     Config
	state   store.State
	events  store.EventStore // nil: no retro-hunt
	matcher *match.Matcher

	mu     sync.Mutex // guards loaded and lists' map (not the lists)
	loaded map[string]bool
	lists  map[string]*distList

	hunts sync.WaitGroup
}

// distList is a tenant's to_block indicators that are on no warning
// list, the input of every export, plus the exports last rendered from it.
type distList struct {
	mu     sync.RWMutex
	serial int64
	byKey  map[string]*intel.IOC
	// The blocklist kinds, kept sorted as indicators change: a render
	// filters and writes them, where sorting a million entries first
	// took seconds.
	nets          []netEntry   // in export.ComparePrefix order
	domains, urls []valueEntry // by value

	cacheMu sync.Mutex
	cache   map[string]rendered // by format and threshold
	// blocklists are the lists last filtered per threshold, shared by the
	// formats rendered after one change (the rule of cache applies).
	blocklists map[int]filtered
}

// entry is what a render's filter asks of an indicator, kept beside it:
// a million-entry list is then filtered in one pass over memory instead of
// a visit to every indicator (on the list, to_block and not revoked hold).
type entry struct {
	i       *intel.IOC
	conf    int
	expires int64 // Unix ns; math.MaxInt64: never
}

func entryOf(i *intel.IOC) entry {
	e := entry{i: i, conf: i.Confidence, expires: math.MaxInt64}
	if x := i.Expires; x != nil {
		switch { // UnixNano's range is 1678–2262
		case x.Year() >= 2262: // never, as far as this process lives
		case x.Year() < 1678:
			e.expires = math.MinInt64
		default:
			e.expires = x.UnixNano()
		}
	}
	return e
}

// distributable is intel.Policy.Distributable for an indicator on the
// list, now given in Unix ns.
func (e *entry) distributable(minConfidence int, now int64) bool {
	return e.conf >= minConfidence && now < e.expires
}

type netEntry struct {
	p netip.Prefix
	entry
}

type valueEntry struct {
	v string
	entry
}

type filtered struct {
	serial int64
	at     time.Time
	b      *export.Blocklist
}

// netOf is an address or network indicator as a prefix.
func netOf(i *intel.IOC) (netip.Prefix, bool) {
	switch i.Type {
	case intel.IPv4, intel.IPv6:
		a, err := netip.ParseAddr(i.Value)
		return netip.PrefixFrom(a, a.BitLen()), err == nil
	case intel.CIDR:
		p, err := netip.ParsePrefix(i.Value)
		return p, err == nil
	}
	return netip.Prefix{}, false
}

// put stores, replaces or (i nil) drops the indicator of key k; sorted
// false leaves the sorted kinds to a resort, for bulk changes.
func (dl *distList) put(k string, i *intel.IOC, sorted bool) {
	if old := dl.byKey[k]; old != nil {
		if sorted {
			dl.index(old, false)
		}
		delete(dl.byKey, k)
	}
	if i != nil {
		dl.byKey[k] = i
		if sorted {
			dl.index(i, true)
		}
	}
}

// index adds an indicator to its sorted kind, or removes it.
func (dl *distList) index(i *intel.IOC, add bool) {
	if p, ok := netOf(i); ok {
		k, found := slices.BinarySearchFunc(dl.nets, p, func(e netEntry, p netip.Prefix) int { return export.ComparePrefix(e.p, p) })
		dl.nets = edit(dl.nets, k, found, add, netEntry{p, entryOf(i)})
		return
	}
	var list *[]valueEntry
	switch i.Type {
	case intel.Domain:
		list = &dl.domains
	case intel.URL:
		list = &dl.urls
	default:
		return
	}
	k, found := slices.BinarySearchFunc(*list, i.Value, func(e valueEntry, v string) int { return strings.Compare(e.v, v) })
	*list = edit(*list, k, found, add, valueEntry{i.Value, entryOf(i)})
}

// edit puts e at k of a sorted slice (add) or removes what is there.
func edit[E any](s []E, k int, found, add bool, e E) []E {
	switch {
	case add && found:
		s[k] = e
	case add:
		s = slices.Insert(s, k, e)
	case found:
		s = slices.Delete(s, k, k+1)
	}
	return s
}

// resort rebuilds the sorted kinds from byKey.
func (dl *distList) resort() {
	dl.nets, dl.domains, dl.urls = dl.nets[:0], dl.domains[:0], dl.urls[:0]
	for _, i := range dl.byKey {
		if p, ok := netOf(i); ok {
			dl.nets = append(dl.nets, netEntry{p, entryOf(i)})
		} else if i.Type == intel.Domain {
			dl.domains = append(dl.domains, valueEntry{i.Value, entryOf(i)})
		} else if i.Type == intel.URL {
			dl.urls = append(dl.urls, valueEntry{i.Value, entryOf(i)})
		}
	}
	slices.SortFunc(dl.nets, func(a, b netEntry) int { return export.ComparePrefix(a.p, b.p) })
	byValue := func(a, b valueEntry) int { return strings.Compare(a.v, b.v) }
	slices.SortFunc(dl.domains, byValue)
	slices.SortFunc(dl.urls, byValue)
}

// blocklist is what the blocklist exports write for a consumer (the
// list's read lock held).
func (dl *distList) blocklist(p intel.Policy, now time.Time) *export.Blocklist {
	min, ns := p.MinConfidence, now.UnixNano()
	count := func(n int, ok func(k int) bool) int {
		c := 0
		for k := 0; k < n; k++ {
			if ok(k) {
				c++
			}
		}
		return c
	}
	// Counted first, so each kind is allocated once at its size.
	n4 := count(len(dl.nets), func(k int) bool { return dl.nets[k].p.Addr().Is4() && dl.nets[k].distributable(min, ns) })
	n6 := count(len(dl.nets), func(k int) bool { return dl.nets[k].p.Addr().Is6() && dl.nets[k].distributable(min, ns) })
	b := &export.Blocklist{V4: make([]netip.Prefix, 0, n4), V6: make([]netip.Prefix, 0, n6)}
	for k := range dl.nets {
		if n := &dl.nets[k]; n.distributable(min, ns) {
			b.AddNet(n.p)
		}
	}
	for _, kind := range []struct {
		from []valueEntry
		to   *[]string
	}{{dl.domains, &b.Domains}, {dl.urls, &b.URLs}} {
		*kind.to = make([]string, 0, count(len(kind.from), func(k int) bool { return kind.from[k].distributable(min, ns) }))
		for k := range kind.from {
			if e := &kind.from[k]; e.distributable(min, ns) {
				*kind.to = append(*kind.to, e.v)
			}
		}
	}
	return b
}

// rendered is an export as last rendered. It is served again while the
// list has not changed, for at most exportCacheTTL (expiry is judged at
// render time), so a fleet of firewalls polling a million-entry list
// costs one render per change.
type rendered struct {
	serial int64
	at     time.Time
	body   Body
	// memo carries the runs of one render to the next (export.Memo).
	memo *export.Memo
}

const exportCacheTTL = time.Minute

// distributable reports whether an indicator belongs in the lists at all;
// the consumer's threshold and expiry are judged when a list is read.
func (s *Service) distributable(i intel.IOC) bool {
	return i.ToBlock && !i.Revoked && s.cfg.Warn.Hit(i.Type, i.Value) == ""
}

// New builds the service. events may be nil (no retro-hunt).
func New(state store.State, events store.EventStore, cfg Config) *Service {
	if cfg.Warn == nil {
		cfg.Warn = intel.DefaultWarningLists()
	}
	if cfg.DefaultMinConfidence == 0 {
		cfg.DefaultMinConfidence = 50
	}
	if cfg.RetroHuntWindow == 0 {
		cfg.RetroHuntWindow = 30 * 24 * time.Hour
	}
	if cfg.RetroHuntMax == 0 {
		cfg.RetroHuntMax = 500
	}
	if cfg.AlertWindow == 0 {
		cfg.AlertWindow = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := cfg.Matcher
	if m == nil {
		m = match.New(cfg.Warn)
	}
	m.SetClock(cfg.Now)
	return &Service{cfg: cfg, state: state, events: events, matcher: m, loaded: map[string]bool{}, lists: map[string]*distList{}}
}

// Detector is the matcher, for the pipeline's detector chain.
func (s *Service) Detector() detect.Detector { return s.matcher }

// Matcher exposes the matcher (benchmarks, lookups).
func (s *Service) Matcher() *match.Matcher { return s.matcher }

// LoadAll loads every tenant's indicators; the server calls it at start.
func (s *Service) LoadAll(ctx context.Context) error {
	tenants, err := s.state.Tenants().List(ctx)
	if err != nil {
		return fmt.Errorf("intel: list tenants: %w", err)
	}
	for _, t := range tenants {
		if err := s.ensure(ctx, t.Name); err != nil {
			return err
		}
	}
	return nil
}

// ensure loads a tenant's indicators into memory once.
func (s *Service) ensure(ctx context.Context, tenant string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded[tenant] {
		return nil
	}
	c := s.state.Scope(tenant).IOCs()
	head, err := c.Head(ctx)
	if err != nil {
		return fmt.Errorf("intel: load %s: %w", tenant, err)
	}
	var all []intel.IOC
	dl := &distList{serial: head, byKey: map[string]*intel.IOC{}, cache: map[string]rendered{}}
	if err := c.Each(ctx, func(i intel.IOC) error {
		all = append(all, i)
		if s.distributable(i) {
			dl.byKey[i.Key()] = slim(i)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("intel: load %s: %w", tenant, err)
	}
	dl.resort()
	s.matcher.Replace(tenant, all)
	s.lists[tenant] = dl
	s.loaded[tenant] = true
	s.cfg.Log.Info("threat intelligence loaded", "tenant", tenant, "indicators", len(all), "to_block", len(dl.byKey))
	return nil
}

// slim keeps what distribution needs, so the lists stay small.
func slim(i intel.IOC) *intel.IOC {
	return &intel.IOC{ID: i.ID, Type: i.Type, Value: i.Value, Confidence: i.Confidence, TLP: i.TLP,
		Expires: i.Expires, ToBlock: i.ToBlock, Revoked: i.Revoked, Seq: i.Seq, FirstSeen: i.FirstSeen,
		LastSeen: i.LastSeen, UpdatedAt: i.UpdatedAt, Description: i.Description, Tags: i.Tags, Sources: i.Sources}
}

// apply folds stored changes into the matcher and the lists.
func (s *Service) apply(tenant string, changed []intel.IOC) {
	if len(changed) == 0 {
		return
	}
	// The matcher and the lists are independent: a bulk load builds both
	// at once.
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.matcher.Apply(tenant, changed)
	}()
	defer func() { <-done }()
	s.mu.Lock()
	dl := s.lists[tenant]
	s.mu.Unlock()
	if dl == nil {
		return
	}
	dl.mu.Lock()
	defer dl.mu.Unlock()
	// A few changes are placed by binary search; a bulk load re-sorts
	// once instead of moving half a list per indicator.
	bulk := len(changed) > 1000
	for _, i := range changed {
		var keep *intel.IOC
		if s.distributable(i) {
			keep = slim(i)
		}
		dl.put(i.Key(), keep, !bulk)
		if i.Seq > dl.serial {
			dl.serial = i.Seq
		}
	}
	if bulk {
		dl.resort()
	}
}

// Formats are the import formats.
var Formats = []string{stix.Format, "taxii", misp.Format, csv.Format, text.Format}

// ImportOptions are what a caller says about a feed document.
type ImportOptions struct {
	Format  string
	Feed    feed.Options
	Mapping string     // csv: a layout name or a column mapping
	Type    intel.Type // text: the type of every line; "" guesses
}

// ImportResult is the answer of an import.
type ImportResult struct {
	Imported int              `json:"imported"`
	Created  int              `json:"created"`
	Updated  int              `json:"updated"`
	Rejected []feed.Rejection `json:"rejected"`
	// RetroHunt says what happens with the new indicators' history.
	RetroHunt string `json:"retro_hunt,omitempty"`
}

// Read parses a feed document in one of Formats.
func Read(r io.Reader, o ImportOptions) (feed.Result, error) {
	switch o.Format {
	case stix.Format, "taxii": // a TAXII envelope is STIX objects
		return stix.Read(r, o.Feed)
	case misp.Format:
		return misp.Read(r, o.Feed)
	case csv.Format:
		var layout *csv.Layout
		if o.Mapping != "" {
			l, err := csv.ParseMapping(o.Mapping)
			if err != nil {
				return feed.Result{}, err
			}
			layout = &l
		}
		return csv.Read(r, o.Feed, layout)
	case text.Format:
		return text.Read(r, o.Feed, o.Type)
	}
	return feed.Result{}, fmt.Errorf("unknown format %q (formats: %s)", o.Format, strings.Join(Formats, ", "))
}

// ErrInvalid marks errors in the caller's input (HTTP 400).
var ErrInvalid = errors.New("invalid input")

// Import reads a feed document and stores its indicators.
func (s *Service) Import(ctx context.Context, tenant string, r io.Reader, o ImportOptions) (ImportResult, error) {
	if o.Feed.Now.IsZero() {
		o.Feed.Now = s.cfg.Now()
	}
	res, err := Read(r, o)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s.Store(ctx, tenant, res)
}

// Store keeps the indicators of a read feed: warning-listed ones are
// rejected, the rest merged into the store, then matched and exported.
func (s *Service) Store(ctx context.Context, tenant string, res feed.Result) (ImportResult, error) {
	if err := s.ensure(ctx, tenant); err != nil {
		return ImportResult{}, err
	}
	out := ImportResult{Rejected: res.Rejected}
	if out.Rejected == nil {
		out.Rejected = []feed.Rejection{}
	}
	keep := res.IOCs[:0] // filtered in place: a bulk load is not copied
	for _, i := range res.IOCs {
		if list := s.cfg.Warn.Hit(i.Type, i.Value); list != "" {
			ref := ""
			if len(i.Sources) > 0 {
				ref = i.Sources[0].Ref
			}
			out.Rejected = append(out.Rejected, feed.Rejection{Ref: ref, Value: i.Value,
				Reason: "on warning list " + list + " (well-known benign; blocking it would break things)"})
			continue
		}
		keep = append(keep, i)
	}
	// One transaction per chunk bounds a transaction's size (and the
	// write-ahead log's); a chunk is large because the store walks its
	// index once per chunk.
	const chunk = 250_000
	var created []intel.IOC
	changed := make([]intel.IOC, 0, len(keep))
	// The matcher and the lists take all changes at once (also after a
	// failed chunk, for the chunks that committed): folding a bulk load in
	// chunk by chunk would rebuild the matcher's base set over and over.
	defer func() { s.apply(tenant, changed) }()
	for start := 0; start < len(keep); start += chunk {
		up, err := s.state.Scope(tenant).IOCs().Upsert(ctx, keep[start:min(start+chunk, len(keep))])
		if err != nil {
			return out, err
		}
		out.Imported += min(start+chunk, len(keep)) - start
		out.Created += up.Created
		out.Updated += up.Updated
		changed = append(changed, up.Changed...)
		for _, i := range up.Changed {
			// Past the retro-hunt limit the list only needs its length.
			if i.CreatedAt.Equal(i.UpdatedAt) && len(created) <= s.cfg.RetroHuntMax {
				created = append(created, i)
			}
		}
	}
	out.RetroHunt = s.startRetroHunt(tenant, created)
	return out, nil
}

// Add stores one indicator typed by a person.
func (s *Service) Add(ctx context.Context, tenant string, i intel.IOC) (intel.IOC, ImportResult, error) {
	p, err := intel.Prepare(i, s.cfg.Now())
	if err != nil {
		return intel.IOC{}, ImportResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	res, err := s.Store(ctx, tenant, feed.Result{IOCs: []intel.IOC{p}})
	if err != nil || len(res.Rejected) > 0 {
		if err == nil {
			err = fmt.Errorf("%w: %s", ErrInvalid, res.Rejected[0].Reason)
		}
		return intel.IOC{}, res, err
	}
	stored, err := s.state.Scope(tenant).IOCs().Find(ctx, p.Type, p.Value)
	return stored, res, err
}

// Update edits an indicator.
func (s *Service) Update(ctx context.Context, tenant string, i intel.IOC) (intel.IOC, error) {
	if err := s.ensure(ctx, tenant); err != nil {
		return intel.IOC{}, err
	}
	if i.Confidence < 0 || i.Confidence > 100 {
		return intel.IOC{}, fmt.Errorf("%w: confidence %d is outside 0-100", ErrInvalid, i.Confidence)
	}
	tlp, err := intel.ParseTLP(i.TLP)
	if err != nil {
		return intel.IOC{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	i.TLP = tlp
	out, err := s.state.Scope(tenant).IOCs().Update(ctx, i)
	if err != nil {
		return out, err
	}
	s.apply(tenant, []intel.IOC{out})
	return out, nil
}

// Revoke withdraws an indicator.
func (s *Service) Revoke(ctx context.Context, tenant, id string) (intel.IOC, error) {
	if err := s.ensure(ctx, tenant); err != nil {
		return intel.IOC{}, err
	}
	out, err := s.state.Scope(tenant).IOCs().Revoke(ctx, id)
	if err != nil {
		return out, err
	}
	s.apply(tenant, []intel.IOC{out})
	return out, nil
}

// Policy is the distribution policy for a consumer: its own threshold if
// one is set, else the default; minConfidence (a request parameter) may
// only raise it.
func (s *Service) Policy(ctx context.Context, tenant, tokenID string, minConfidence int) (intel.Policy, error) {
	p := intel.Policy{MinConfidence: s.cfg.DefaultMinConfidence, Warn: s.cfg.Warn}
	if tokenID != "" {
		min, ok, err := s.state.Scope(tenant).IOCs().ConsumerMinConfidence(ctx, tokenID)
		if err != nil {
			return p, err
		}
		if ok {
			p.MinConfidence = min
		}
	}
	if minConfidence > p.MinConfidence {
		p.MinConfidence = minConfidence
	}
	return p, nil
}

// List returns the distributable indicators of a tenant under a policy.
func (s *Service) List(ctx context.Context, tenant string, p intel.Policy) (export.List, error) {
	if err := s.ensure(ctx, tenant); err != nil {
		return export.List{}, err
	}
	dl := s.list(tenant)
	now := s.cfg.Now()
	l := export.List{Tenant: tenant, Generated: now}
	p.Warn = nil // the lists hold nothing on a warning list
	dl.mu.RLock()
	l.Serial = dl.serial
	l.IOCs = make([]*intel.IOC, 0, len(dl.byKey))
	for _, i := range dl.byKey {
		if p.Distributable(i, now) {
			l.IOCs = append(l.IOCs, i)
		}
	}
	dl.mu.RUnlock()
	return l, nil
}

func (s *Service) list(tenant string) *distList {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists[tenant]
}

// Export renders one export format for a tenant under a policy, or
// serves the render cached since the last change.
func (s *Service) Export(ctx context.Context, tenant, format string, p intel.Policy) (Body, export.Format, error) {
	f, ok := export.Formats[format]
	if !ok {
		return Body{}, f, fmt.Errorf("%w: unknown export %q (exports: %s)", ErrInvalid, format, strings.Join(export.Names(), ", "))
	}
	if err := s.ensure(ctx, tenant); err != nil {
		return Body{}, f, err
	}
	dl := s.list(tenant)
	key := fmt.Sprintf("%s|%d", format, p.MinConfidence)
	now := s.cfg.Now()
	dl.mu.RLock()
	serial := dl.serial
	dl.mu.RUnlock()
	dl.cacheMu.Lock()
	c, hit := dl.cache[key]
	dl.cacheMu.Unlock()
	if hit && c.serial == serial && now.Sub(c.at) < exportCacheTTL {
		return c.body, f, nil
	}
	// Every export format is a blocklist: it needs the sorted kinds, not
	// the indicators.
	l := export.List{Tenant: tenant, Generated: now, Memo: c.memo}
	if l.Memo == nil {
		l.Memo = &export.Memo{}
	}
	l.Serial, l.Blocklist = dl.filter(p.MinConfidence, now)
	var w bodyWriter
	if err := f.Write(&w, l); err != nil {
		return Body{}, f, err
	}
	body := w.done(l.Serial)
	dl.cacheMu.Lock()
	dl.cache[key] = rendered{serial: l.Serial, at: now, body: body, memo: l.Memo}
	dl.cacheMu.Unlock()
	return body, f, nil
}

// filter is the list for a threshold, filtered once per change for all
// formats (and again after exportCacheTTL, for expiry), and its serial.
func (dl *distList) filter(minConfidence int, now time.Time) (int64, *export.Blocklist) {
	dl.mu.RLock()
	defer dl.mu.RUnlock()
	dl.cacheMu.Lock()
	f, ok := dl.blocklists[minConfidence]
	dl.cacheMu.Unlock()
	if ok && f.serial == dl.serial && now.Sub(f.at) < exportCacheTTL {
		return f.serial, f.b
	}
	f = filtered{serial: dl.serial, at: now, b: dl.blocklist(intel.Policy{MinConfidence: minConfidence}, now)}
	dl.cacheMu.Lock()
	if dl.blocklists == nil {
		dl.blocklists = map[int]filtered{}
	}
	dl.blocklists[minConfidence] = f
	dl.cacheMu.Unlock()
	return f.serial, f.b
}

// Change is one entry of the change feed, judged for one consumer: "add"
// when the indicator is now distributable to it, "remove" otherwise.
type Change struct {
	Seq        int64      `json:"seq"`
	Action     string     `json:"action"`
	ID         string     `json:"id"`
	Type       intel.Type `json:"type"`
	Value      string     `json:"value"`
	Confidence int        `json:"confidence"`
	Expires    *time.Time `json:"expires,omitempty"`
}

// Changes returns the change feed after since for a consumer, and the
// number to ask from next time.
func (s *Service) Changes(ctx context.Context, tenant string, since int64, limit int, p intel.Policy) ([]Change, int64, error) {
	list, err := s.state.Scope(tenant).IOCs().Changes(ctx, since, limit)
	if err != nil {
		return nil, since, err
	}
	now := s.cfg.Now()
	out := make([]Change, 0, len(list))
	next := since
	for _, i := range list {
		action := "remove"
		if p.Distributable(&i, now) {
			action = "add"
		}
		out = append(out, Change{Seq: i.Seq, Action: action, ID: i.ID, Type: i.Type, Value: i.Value,
			Confidence: i.Confidence, Expires: i.Expires})
		next = i.Seq
	}
	return out, next, nil
}

// Maintain runs the periodic chores until ctx ends: hit counters are
// written to the store and expired indicators are announced in the change
// feed.
func (s *Service) Maintain(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.Flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			s.Flush(ctx)
		}
	}
}

// Flush writes hit counts and lapses expired indicators once.
func (s *Service) Flush(ctx context.Context) {
	now := s.cfg.Now()
	for tenant, hits := range s.matcher.TakeHits() {
		if err := s.state.Scope(tenant).IOCs().RecordHits(ctx, hits, now); err != nil {
			s.cfg.Log.Warn("recording indicator hits failed", "tenant", tenant, "err", err)
		}
	}
	s.mu.Lock()
	tenants := make([]string, 0, len(s.loaded))
	for t := range s.loaded {
		tenants = append(tenants, t)
	}
	s.mu.Unlock()
	for _, t := range tenants {
		if n, err := s.state.Scope(t).IOCs().Lapse(ctx, now); err != nil {
			s.cfg.Log.Warn("expiring indicators failed", "tenant", t, "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("indicators expired", "tenant", t, "count", n)
		}
	}
}

// Wait blocks until running retro-hunts are done (shutdown, tests).
func (s *Service) Wait() { s.hunts.Wait() }
