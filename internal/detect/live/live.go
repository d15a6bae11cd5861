// Package live is the server's Sigma detector: it holds the compiled
// engine (built-in pack plus the configured rule folders) behind an atomic
// pointer so the rules can be reloaded while events flow, and drops the
// matches of rules a tenant has disabled.
//
// A reload compiles a complete new engine beside the running one and swaps
// it in only when it compiled and rejected nothing the running set did not
// already reject: a rule file broken by an edit never takes detection
// down, it is reported and the previous rules keep running. Correlation
// state lives in the engine, so it starts afresh with every applied reload.
//
// Per-tenant enablement is read from the state store (store.Rules) into an
// in-memory set per tenant, refreshed whenever it changes through
// SetEnabled or a reload; Detect itself never touches the store.
//
// This package must never block or do I/O in Detect, never keep an engine
// that failed to compile, and never let one tenant's settings change what
// another tenant's events produce.
package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/correlate"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/store"
)

// Where a rule comes from.
const (
	SourceBuiltin = "builtin" // Yagura's own pack, compiled into the binary
	SourceFile    = "file"    // a file under detection.rule_dirs
)

// Config says which rules to load and how to compile them.
type Config struct {
	Builtin  bool     // load the built-in pack
	RuleDirs []string // files and folders of Sigma rules (walked recursively)
	// Options compile every engine (placeholders, logsource mapping,
	// correlation bounds).
	Options sigma.Options
	Log     *slog.Logger
}

// Rule is a loaded detection or correlation rule and where it came from.
type Rule struct {
	*sigma.Rule
	Source string // SourceBuiltin or SourceFile
}

// Report is the outcome of a load.
type Report struct {
	// Applied is true when the new engine replaced the running one.
	Applied bool `json:"applied"`
	// Loaded counts the documents (rules, correlations, filters) loaded.
	Loaded int `json:"loaded"`
	// Rules counts the detection rules compiled.
	Rules int `json:"rules"`
	// Rejected lists every document that was not loaded, with its reason.
	Rejected []sigma.Rejection `json:"rejected"`
	// Error says why a reload was refused; empty when applied.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

// generation is one compiled rule set.
type generation struct {
	engine   *sigma.Engine
	rules    []Rule // detection and correlation rules, by id
	byID     map[string]Rule
	rejected map[string]bool // rejectionKey of every rejection at load
	report   Report
}

// disabledSets maps tenant → ids of the rules it turned off.
type disabledSets map[string]map[string]struct{}

// Detector is the reloadable Sigma detector. It implements detect.Detector
// and is safe for concurrent use.
type Detector struct {
	cfg Config
	cur atomic.Pointer[generation]

	reloadMu sync.Mutex // one reload at a time
	// retired accumulates the correlation counters of replaced engines,
	// so the exported counters never go back on a reload.
	retiredMu sync.Mutex
	retired   correlate.Stats
	applied   atomic.Uint64
	refused   atomic.Uint64

	disabledMu sync.Mutex // serialises writers of disabled
	disabled   atomic.Pointer[disabledSets]
	dropped    atomic.Uint64 // matches dropped because the rule was disabled
	state      atomic.Pointer[store.State]
}

// New loads and compiles the rules. Rejected documents are logged and
// reported, as at every load; an unreadable rule folder or a built-in pack
// that does not load is an error.
func New(cfg Config) (*Detector, Report, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	d := &Detector{cfg: cfg}
	empty := disabledSets{}
	d.disabled.Store(&empty)
	gen, err := d.compile()
	if err != nil {
		return nil, Report{}, err
	}
	gen.report.Applied = true
	d.cur.Store(gen)
	d.logRejections(gen.report.Rejected)
	return d, gen.report, nil
}

// compile loads the configured rules into a new generation.
func (d *Detector) compile() (*generation, error) {
	set := &sigma.RuleSet{}
	source := map[*sigma.Rule]string{}
	add := func(part *sigma.RuleSet, from string) {
		for _, list := range [][]*sigma.Rule{part.Rules, part.Correlations, part.Filters} {
			for _, r := range list {
				source[r] = from
			}
		}
		set.Merge(part)
	}
	if d.cfg.Builtin {
		pack, err := builtin.Load()
		if err != nil {
			return nil, err
		}
		add(pack, SourceBuiltin)
	}
	var rejected []sigma.Rejection
	if len(d.cfg.RuleDirs) > 0 {
		extra, rej, err := sigma.LoadPaths(d.cfg.RuleDirs...)
		if err != nil {
			return nil, fmt.Errorf("rules: %w (check detection.rule_dirs)", err)
		}
		add(extra, SourceFile)
		rejected = rej
	}
	eng, err := sigma.NewEngine(set, d.cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	gen := &generation{engine: eng, byID: map[string]Rule{}, rejected: map[string]bool{},
		report: Report{Loaded: set.Len(), Rules: eng.Rules(), Rejected: rejected, At: time.Now().UTC()}}
	if gen.report.Rejected == nil {
		gen.report.Rejected = []sigma.Rejection{}
	}
	for _, rj := range rejected {
		gen.rejected[rejectionKey(rj)] = true
	}
	for _, list := range [][]*sigma.Rule{set.Rules, set.Correlations} {
		for _, r := range list {
			// The engine drops later duplicates; so does the listing.
			if _, dup := gen.byID[r.ID]; r.ID == "" || dup {
				continue
			}
			rule := Rule{Rule: r, Source: source[r]}
			gen.byID[r.ID] = rule
			gen.rules = append(gen.rules, rule)
		}
	}
	sort.Slice(gen.rules, func(i, j int) bool { return gen.rules[i].ID < gen.rules[j].ID })
	return gen, nil
}

// rejectionKey identifies a rejected document across loads. The reason is
// left out: it may carry a line number that an unrelated edit shifts.
func rejectionKey(r sigma.Rejection) string {
	return r.Path + "\x00" + r.ID + "\x00" + r.Title
}

func (d *Detector) logRejections(rej []sigma.Rejection) {
	for _, r := range rej {
		d.cfg.Log.Warn("rule rejected", "rule", r.String())
	}
}

// Reload re-reads the built-in pack and the rule folders and compiles a new
// engine. It replaces the running engine only if the new one compiled and
// rejected no document the running set did not already reject; otherwise
// the running rules stay and the report says why. Correlation state starts
// afresh when a reload is applied. Tenants' disabled sets are re-read from
// the state store either way.
func (d *Detector) Reload(ctx context.Context) Report {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	defer func() {
		if err := d.refreshAll(ctx); err != nil {
			d.cfg.Log.Error("re-reading disabled rules", "err", err)
		}
	}()
	gen, err := d.compile()
	if err != nil {
		d.refused.Add(1)
		d.cfg.Log.Error("rule reload refused: the running rules stay", "err", err)
		return Report{Rejected: []sigma.Rejection{}, Error: err.Error(), At: time.Now().UTC()}
	}
	old := d.cur.Load()
	var fresh []sigma.Rejection
	for _, rj := range gen.report.Rejected {
		if !old.rejected[rejectionKey(rj)] {
			fresh = append(fresh, rj)
		}
	}
	if len(fresh) > 0 {
		d.refused.Add(1)
		d.logRejections(fresh)
		rep := gen.report
		rep.Error = fmt.Sprintf("%d rule document(s) that loaded before are now rejected (first: %s); "+
			"the running rules stay until the files are fixed and reloaded", len(fresh), fresh[0].String())
		d.cfg.Log.Error("rule reload refused: the running rules stay", "new_rejections", len(fresh))
		return rep
	}
	gen.report.Applied = true
	d.retire(old.engine)
	d.cur.Store(gen)
	d.applied.Add(1)
	d.cfg.Log.Info("detection rules reloaded", "rules", gen.report.Rules, "documents", gen.report.Loaded,
		"rejected", len(gen.report.Rejected))
	return gen.report
}

// retire folds a replaced engine's correlation counters into the running
// totals. Workers still finishing an event on the old engine may add a
// few counts after this snapshot; those are lost, never double-counted.
func (d *Detector) retire(e *sigma.Engine) {
	st := e.CorrelationStats()
	d.retiredMu.Lock()
	d.retired = d.retired.Add(st)
	d.retiredMu.Unlock()
}

// CorrelationStats are the correlation counters since the process started,
// across reloads.
func (d *Detector) CorrelationStats() correlate.Stats {
	cur := d.cur.Load().engine.CorrelationStats()
	d.retiredMu.Lock()
	defer d.retiredMu.Unlock()
	return d.retired.Add(cur)
}

// Detect implements detect.Detector: the running engine's matches, less
// those of rules the match's tenant disabled.
func (d *Detector) Detect(ev *event.Event, out []detect.Match) []detect.Match {
	n := len(out)
	out = d.cur.Load().engine.Detect(ev, out)
	if len(out) == n {
		return out
	}
	off := *d.disabled.Load()
	if len(off) == 0 {
		return out
	}
	keep := n
	for i := n; i < len(out); i++ {
		if _, disabled := off[out[i].Tenant][out[i].RuleID]; disabled {
			d.dropped.Add(1)
			continue
		}
		out[keep] = out[i]
		keep++
	}
	clear(out[keep:]) // release the dropped matches' events
	return out[:keep]
}

// Engine is the running engine.
func (d *Detector) Engine() *sigma.Engine { return d.cur.Load().engine }

// Options are the options every engine is compiled with (placeholders,
// logsource mapping), for compiling ad-hoc rules the same way.
func (d *Detector) Options() sigma.Options { return d.cfg.Options }

// Status is the report of the load that produced the running engine.
func (d *Detector) Status() Report { return d.cur.Load().report }

// Rules lists the running detection and correlation rules by id.
func (d *Detector) Rules() []Rule { return d.cur.Load().rules }

// Rule returns the running rule with the given id.
func (d *Detector) Rule(id string) (Rule, bool) {
	r, ok := d.cur.Load().byID[id]
	return r, ok
}

// Text returns the YAML file a rule was loaded from (the whole file: a
// correlation and the rules it uses may share one) as it is now, and
// whether the file changed since the rules were loaded.
func (d *Detector) Text(r Rule) (text string, changed bool, err error) {
	if r.Source == SourceBuiltin {
		b, err := fs.ReadFile(builtin.FS(), r.Path)
		return string(b), false, err
	}
	info, err := os.Stat(r.Path)
	if err != nil {
		return "", false, fmt.Errorf("rule file %s: %w", r.Path, err)
	}
	b, err := os.ReadFile(r.Path)
	if err != nil {
		return "", false, fmt.Errorf("rule file %s: %w", r.Path, err)
	}
	return string(b), info.ModTime().After(d.cur.Load().report.At), nil
}

// UseState reads every tenant's disabled rules from state and keeps state
// for later refreshes. Call it once the state store is open, before
// events flow.
func (d *Detector) UseState(ctx context.Context, state store.State) error {
	d.state.Store(&state)
	return d.refreshAll(ctx)
}

// refreshAll re-reads every tenant's disabled rules.
func (d *Detector) refreshAll(ctx context.Context) error {
	sp := d.state.Load()
	if sp == nil {
		return nil
	}
	tenants, err := (*sp).Tenants().List(ctx)
	if err != nil {
		return fmt.Errorf("disabled rules: list tenants: %w", err)
	}
	var errs []error
	for _, t := range tenants {
		errs = append(errs, d.Refresh(ctx, t.Name))
	}
	return errors.Join(errs...)
}

// Refresh re-reads one tenant's disabled rules from the state store.
func (d *Detector) Refresh(ctx context.Context, tenant string) error {
	sp := d.state.Load()
	if sp == nil {
		return errors.New("disabled rules: no state store (call UseState first)")
	}
	ids, err := (*sp).Scope(tenant).Rules().Disabled(ctx)
	if err != nil {
		return fmt.Errorf("disabled rules of %s: %w", tenant, err)
	}
	d.setDisabled(tenant, ids)
	return nil
}

// setDisabled replaces one tenant's disabled set (copy on write: Detect
// reads the map without a lock).
func (d *Detector) setDisabled(tenant string, ids []string) {
	d.disabledMu.Lock()
	defer d.disabledMu.Unlock()
	old := *d.disabled.Load()
	next := make(disabledSets, len(old)+1)
	for t, set := range old {
		next[t] = set
	}
	delete(next, tenant)
	if len(ids) > 0 {
		set := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			set[id] = struct{}{}
		}
		next[tenant] = set
	}
	d.disabled.Store(&next)
}

// Enabled reports whether a rule runs for a tenant.
func (d *Detector) Enabled(tenant, ruleID string) bool {
	_, off := (*d.disabled.Load())[tenant][ruleID]
	return !off
}

// SetEnabled records a tenant's decision in the state store and applies it
// at once.
func (d *Detector) SetEnabled(ctx context.Context, tenant string, st store.RuleState) error {
	sp := d.state.Load()
	if sp == nil {
		return errors.New("rule settings: no state store (call UseState first)")
	}
	if err := (*sp).Scope(tenant).Rules().Set(ctx, st); err != nil {
		return err
	}
	return d.Refresh(ctx, tenant)
}
