package hunt

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/alert"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/kpi"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// TagRetroHunt marks alerts raised by a retro-hunt (the KPIs count them
// as source "retro_hunt", so the KPIs own the value).
const TagRetroHunt = kpi.TagRetroHunt

// GCPercent is the garbage collector's target for a process that runs
// hunts (yagura hunt, the hunting benchmark): a hunt is one long read whose
// live heap is a few windows of events, so collecting less often spends
// memory it has to save CPU it lacks (7 % less CPU than at 200 on the
// 10M-event retro-hunt benchmark, docs/performance.md).
const GCPercent = 400

// RetroProgress reports how far a retro-hunt has come.
type RetroProgress struct {
	Scanned int64     `json:"scanned"` // events run through the rules so far
	Skipped int64     `json:"skipped"` // events no rule could match, never read (detect.Scope); exact at the end
	Total   int64     `json:"total"`   // events in the range
	Matches int       `json:"matches"`
	Until   time.Time `json:"until"` // events before this time are done
}

// RetroOptions tune a retro-hunt.
type RetroOptions struct {
	// PageSize is the most events one read brings (default 50000): memory
	// stays bounded however long the range.
	PageSize int
	// ReadAhead is how many later windows are read while the rules run on
	// the current one (default 2; 0 or less means the default). Reading
	// and decoding events is most of a retro-hunt's cost; the rules must
	// see events in time order, the reads need not be serial. At most
	// ReadAhead+2 windows are held at once.
	ReadAhead int
	// Progress, if set, is called after every window and page read.
	Progress func(RetroProgress)
	// OnMatch, if set, sees every match as it is found, oldest first. When
	// the detector is a detect.KeyReader, the match's events hold only the
	// fields the rules and the alerts read.
	OnMatch func(detect.Match)
}

// RetroResult is what a retro-hunt found: its matches merged into alerts
// the way live detection merges them (alert.FromMatches: one alert per
// rule and fingerprint). A match is merged as soon as it is found and then
// let go, so memory follows the number of alerts, not of matches: a broad
// rule over months can match millions of events.
type RetroResult struct {
	Matches int
	Alerts  []store.Alert
}

// retroPage is one page of a window, or the error that ended its read.
type retroPage struct {
	events []*event.Event
	err    error
}

// retroWindow is a time range read as one unit: its events in one page
// when they fit (almost every window), or in keyset pages (a minute
// denser than a page).
type retroWindow struct {
	from, to time.Time
	events   int64
}

// RetroHunt runs a detector (the same Sigma engine as live detection,
// built for this run so its correlation state is its own) over a tenant's
// stored events of [from, to), oldest first. On an error it returns what
// was found before it.
func RetroHunt(ctx context.Context, es store.EventStore, tenant string, from, to time.Time, det detect.Detector, opts RetroOptions) (RetroResult, error) {
	pageSize, progress := opts.PageSize, opts.Progress
	if pageSize <= 0 {
		pageSize = 50_000
	}
	readAhead := opts.ReadAhead
	if readAhead <= 0 {
		readAhead = 2
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return RetroResult{}, fmt.Errorf("retro-hunt needs a time range with from before to")
	}
	// Events no rule could match are never read: their dataset or event
	// code routes them to no rule, or a typed column lacks every text the
	// dataset's rules need (scopeFilter, needsPredicate).
	var scope, datasets filter
	if sc, ok := det.(detect.Scoper); ok {
		s := sc.Scope()
		scope, datasets = scopeFilter(s, true), scopeFilter(s, false)
	}
	plan, total, inScope, err := planWindows(ctx, es, tenant, from, to, int64(pageSize), datasets)
	if err != nil {
		return RetroResult{}, err
	}
	p := RetroProgress{Total: total, Skipped: total - inScope, Until: from}
	builder := alert.Builder{Risk: alert.DefaultRisk()}
	// Decoding whole wide events is most of a retro-hunt's cost; a
	// detector that names the fields it reads gets only those.
	var keys []string
	if kr, ok := det.(detect.KeyReader); ok {
		if k, all := kr.EventKeys(); !all {
			keys = append(append(keys, k...), builder.EventKeys()...)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each window is read by its own goroutine, started in order, at most
	// readAhead ahead of the window the rules are on.
	windows := make(chan chan retroPage, readAhead)
	go func() {
		defer close(windows)
		for _, w := range plan {
			pages := make(chan retroPage, 1)
			select {
			case windows <- pages:
			case <-ctx.Done():
				return
			}
			go readWindow(ctx, es, tenant, w, pageSize, keys, scope, pages)
		}
	}()
	set := builder.NewSet()
	result := func() RetroResult { return RetroResult{Matches: set.Matches(), Alerts: set.Alerts(tenant)} }
	var matches []detect.Match // one event's, reused
	i := 0
	for pages := range windows {
		w := plan[i]
		i++
		for page := range pages {
			if page.err != nil {
				return result(), page.err
			}
			if err := ctx.Err(); err != nil {
				return result(), err
			}
			for _, ev := range page.events {
				matches = det.Detect(ev, matches[:0])
				for _, m := range matches {
					m.Tags = append(append([]string{}, m.Tags...), TagRetroHunt)
					if opts.OnMatch != nil {
						opts.OnMatch(m)
					}
					set.Add(m)
				}
			}
			p.Scanned += int64(len(page.events))
			p.Matches = set.Matches()
			if len(page.events) == pageSize && int64(pageSize) < w.events {
				p.Until = page.events[len(page.events)-1].Timestamp
				if progress != nil {
					progress(p)
				}
			}
		}
		p.Until = w.to
		if progress != nil {
			progress(p)
		}
	}
	if err := ctx.Err(); err != nil {
		return result(), err
	}
	if p.Until.Before(to) || p.Skipped != p.Total-p.Scanned {
		p.Until, p.Skipped = to, p.Total-p.Scanned
		if progress != nil {
			progress(p)
		}
	}
	return result(), nil
}

// filter is a SQL predicate over a partition's columns with its bound
// arguments; empty keeps every row.
type filter struct {
	where string
	args  []any
}

// scopeFilter turns a detector's scope into a predicate on the typed
// columns, by dataset and, withCodes, event code too. dataset holds ECS
// event.dataset, which Dataset reads first; a row without one may still be
// routed by its Windows channel and is kept. event_code holds ECS
// event.code; the engine reads a native event.code first, so a row whose
// native fields name one is kept too. Without codes the predicate reads no
// JSON: the plan's counts use it (an upper bound on what is read).
func scopeFilter(sc detect.Scope, withCodes bool) filter {
	if sc.All {
		return filter{}
	}
	terms := []string{"dataset IS NULL", "dataset = ''"}
	var args []any
	var anyCode []string
	for _, ds := range slices.Sorted(maps.Keys(sc.Datasets)) {
		codes := sc.Datasets[ds]
		needs, needsKnown := sc.Needs[ds]
		if needsKnown && len(needs) == 0 {
			continue // its rules can never match
		}
		var needsSQL string
		var needsArgs []any
		useNeeds := false
		if needsKnown {
			needsSQL, needsArgs, useNeeds = needsPredicate(needs)
		}
		if !withCodes || (codes == nil && !useNeeds) {
			anyCode = append(anyCode, ds)
			continue
		}
		term, termArgs := "dataset = ?", []any{ds}
		if codes != nil {
			term += " AND (coalesce(TRY_CAST(event_code AS BIGINT) IN (" + marks(len(codes)) + "), true) OR contains(fields, '\"event.code\"'))"
			for _, c := range codes {
				termArgs = append(termArgs, c)
			}
		}
		if useNeeds {
			term += " AND (" + needsSQL + ")"
			termArgs = append(termArgs, needsArgs...)
		}
		terms = append(terms, "("+term+")")
		args = append(args, termArgs...)
	}
	if len(anyCode) > 0 {
		terms = append(terms, "dataset IN ("+marks(len(anyCode))+")")
		for _, ds := range anyCode {
			args = append(args, ds)
		}
	}
	for _, p := range sc.Prefixes {
		terms = append(terms, "starts_with(dataset, ?)")
		args = append(args, p)
	}
	return filter{where: strings.Join(terms, " OR "), args: args}
}

// marks is n bound-parameter marks for an IN list.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// needsPredicate turns a dataset's needs into a predicate when every need
// is on a typed column: the column, lower-cased, contains the text. The
// engine reads a native field of the same name first, so a row whose
// native fields hold the key is kept whatever its typed value.
func needsPredicate(needs []detect.Need) (string, []any, bool) {
	var terms []string
	var args []any
	guarded := map[string]bool{}
	for _, n := range needs {
		col, ok := duckdb.ColumnFor(n.Field)
		if !ok {
			return "", nil, false
		}
		terms = append(terms, "contains(lower("+col+"), ?)") // col is the store's constant
		args = append(args, n.Text)
		if !guarded[n.Field] {
			guarded[n.Field] = true
			terms = append(terms, "contains(fields, ?)")
			args = append(args, `"`+n.Field+`":`)
		}
	}
	return strings.Join(terms, " OR "), args, true
}

// planWindows counts the range's events per minute in one query, those in
// scope apart, and cuts the range into windows of at most pageSize events
// in scope each (a denser minute is a window of its own, read in keyset
// pages). A window that fits is read without ORDER BY and sorted here:
// sorting a page of whole rows in the database cost more than reading
// them.
func planWindows(ctx context.Context, es store.EventStore, tenant string, from, to time.Time, pageSize int64, scope filter) (plan []retroWindow, total, inScope int64, err error) {
	inScopeSQL := "count(*)"
	if scope.where != "" {
		inScopeSQL = "count(*) FILTER (WHERE " + scope.where + ")"
	}
	res, err := es.Query(ctx, tenant, from, to, store.CompiledQuery{
		SQL:     "SELECT date_trunc('minute', ts) AS c0, count(*) AS c1, " + inScopeSQL + " AS c2 FROM events GROUP BY c0 ORDER BY c0",
		Args:    scope.args,
		Columns: []string{"minute", "count", "in_scope"}})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("retro-hunt: count events per minute: %w", err)
	}
	for _, row := range res.Rows {
		minute, ok1 := row[0].(time.Time)
		all, ok2 := row[1].(int64)
		n, ok3 := row[2].(int64)
		if !ok1 || !ok2 || !ok3 {
			return nil, 0, 0, fmt.Errorf("retro-hunt: count events per minute: unexpected row %v", row)
		}
		total += all
		if n == 0 {
			continue
		}
		inScope += n
		start, end := maxTime(minute.UTC(), from), minTime(minute.UTC().Add(time.Minute), to)
		if len(plan) == 0 {
			plan = append(plan, retroWindow{from: from, to: end, events: n})
			continue
		}
		last := &plan[len(plan)-1]
		if last.events+n <= pageSize {
			last.to, last.events = end, last.events+n
			continue
		}
		last.to = start // the minutes between hold nothing to read
		plan = append(plan, retroWindow{from: start, to: end, events: n})
	}
	if len(plan) > 0 {
		plan[len(plan)-1].to = to
	}
	return plan, total, inScope, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// readWindow reads the events of a window into pages, then closes it; an
// error is the last page. With keys, the events hold only those fields.
func readWindow(ctx context.Context, es store.EventStore, tenant string, w retroWindow, pageSize int, keys []string, scope filter, pages chan<- retroPage) {
	defer close(pages)
	columns := duckdb.EventColumns
	if keys != nil {
		columns = duckdb.EventColumnsFor(keys)
	}
	send := func(p retroPage) bool {
		select {
		case pages <- p:
			return p.err == nil
		case <-ctx.Done():
			return false
		}
	}
	if w.events <= int64(pageSize) {
		page, err := es.Query(ctx, tenant, w.from, w.to, store.CompiledQuery{Events: true, EventKeys: keys,
			Where: scope.where, WhereArgs: scope.args, SQL: "SELECT " + columns + " FROM events"})
		if err != nil {
			err = fmt.Errorf("retro-hunt: read events of %s: %w", w.from.Format(time.RFC3339), err)
		}
		slices.SortFunc(page.Events, func(a, b *event.Event) int {
			if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		send(retroPage{page.Events, err})
		return
	}
	lastTS, lastID := w.from.Add(-time.Nanosecond), ""
	for {
		page, err := es.Query(ctx, tenant, w.from, w.to, store.CompiledQuery{Events: true, EventKeys: keys,
			Where: scope.where, WhereArgs: scope.args,
			SQL:  "SELECT " + columns + " FROM events WHERE ts > ? OR (ts = ? AND id > ?) ORDER BY ts, id LIMIT ?",
			Args: []any{lastTS, lastTS, lastID, int64(pageSize)}})
		if err != nil {
			err = fmt.Errorf("retro-hunt: read events after %s: %w", lastTS.Format(time.RFC3339Nano), err)
		}
		if !send(retroPage{page.Events, err}) || len(page.Events) < pageSize {
			return
		}
		last := page.Events[len(page.Events)-1]
		lastTS, lastID = last.Timestamp, last.ID
	}
}

// RaiseAlerts stores a retro-hunt's alerts in the tenant (merged with open
// alerts of the same fingerprint, as live detection's are) and records the
// run in the audit trail, in one transaction.
func RaiseAlerts(ctx context.Context, st store.State, tenant, actor string, res RetroResult, details map[string]any) ([]store.Alert, error) {
	alerts := res.Alerts
	var stored []store.Alert
	err := st.Scope(tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		if len(alerts) > 0 {
			var err error
			if stored, err = tx.Upsert(ctx, alerts, 24*time.Hour); err != nil {
				return err
			}
		}
		d := map[string]any{"matches": res.Matches, "alerts": len(alerts)}
		for k, v := range details {
			d[k] = v
		}
		_, err := tx.Audit(ctx, store.AuditRecord{Actor: actor, Role: "system", Action: "hunt.retro", Object: tenant, Details: d})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("retro-hunt alerts: %w", err)
	}
	return stored, nil
}
