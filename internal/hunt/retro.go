package hunt

import (
	"context"
	"fmt"
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

// RetroProgress reports how far a retro-hunt has come.
type RetroProgress struct {
	Scanned int64     `json:"scanned"` // events run through the rules so far
	Total   int64     `json:"total"`   // events in the range
	Matches int       `json:"matches"`
	Until   time.Time `json:"until"` // events before this time are done
}

// RetroOptions tune a retro-hunt.
type RetroOptions struct {
	// PageSize is how many events one read brings (default 20000): memory
	// stays bounded however long the range.
	PageSize int
	// ReadAhead is how many later hours are read while the rules run on
	// the current one (default 2; 0 or less means the default). Reading
	// and decoding events is most of a retro-hunt's cost; the rules must
	// see events in time order, the reads need not be serial. At most
	// ReadAhead+2 hours of two pages each are held at once.
	ReadAhead int
	// Progress, if set, is called after every page and every hour with
	// events.
	Progress func(RetroProgress)
}

// retroPage is one page of an hour, or the error that ended its read.
type retroPage struct {
	events []*event.Event
	err    error
}

// RetroHunt runs a detector (the same Sigma engine as live detection,
// built for this run so its correlation state is its own) over a tenant's
// stored events of [from, to), oldest first, and returns the matches.
func RetroHunt(ctx context.Context, es store.EventStore, tenant string, from, to time.Time, det detect.Detector, opts RetroOptions) ([]detect.Match, error) {
	pageSize, progress := opts.PageSize, opts.Progress
	if pageSize <= 0 {
		pageSize = 20_000
	}
	readAhead := opts.ReadAhead
	if readAhead <= 0 {
		readAhead = 2
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return nil, fmt.Errorf("retro-hunt needs a time range with from before to")
	}
	count, err := es.Query(ctx, tenant, from, to, store.CompiledQuery{SQL: "SELECT count(*) AS c0 FROM events", Columns: []string{"count"}})
	if err != nil {
		return nil, fmt.Errorf("retro-hunt: count: %w", err)
	}
	p := RetroProgress{Until: from}
	if len(count.Rows) == 1 {
		p.Total, _ = count.Rows[0][0].(int64)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Events are read hour by hour (each window prunes to a few row
	// groups), and within an hour in keyset pages on (ts, id): the cost
	// stays linear in the number of events however long the range. Each
	// hour is read by its own goroutine, started in order, at most
	// readAhead ahead of the hour the rules are on.
	hours := make(chan chan retroPage, readAhead)
	go func() {
		defer close(hours)
		for w := from; w.Before(to); w = w.Add(time.Hour) {
			pages := make(chan retroPage, 1)
			select {
			case hours <- pages:
			case <-ctx.Done():
				return
			}
			go readHour(ctx, es, tenant, w, hourEnd(w, to), pageSize, pages)
		}
	}()
	var matches []detect.Match
	w := from
	for pages := range hours {
		end := hourEnd(w, to)
		before := p.Scanned
		for page := range pages {
			if page.err != nil {
				return matches, page.err
			}
			if err := ctx.Err(); err != nil {
				return matches, err
			}
			for _, ev := range page.events {
				n := len(matches)
				matches = det.Detect(ev, matches)
				for i := n; i < len(matches); i++ {
					matches[i].Tags = append(append([]string{}, matches[i].Tags...), TagRetroHunt)
				}
			}
			p.Scanned += int64(len(page.events))
			p.Matches = len(matches)
			if len(page.events) < pageSize {
				continue // the hour's last page
			}
			p.Until = page.events[len(page.events)-1].Timestamp
			if progress != nil {
				progress(p)
			}
		}
		p.Until = end
		if progress != nil && (p.Scanned > before || !end.Before(to)) {
			progress(p)
		}
		w = end
	}
	return matches, ctx.Err()
}

// hourEnd is the end of the hour starting at w, or to if sooner.
func hourEnd(w, to time.Time) time.Time {
	if end := w.Add(time.Hour); end.Before(to) {
		return end
	}
	return to
}

// readHour reads the events of [w, end) in keyset pages into pages, then
// closes it; an error is the last page.
func readHour(ctx context.Context, es store.EventStore, tenant string, w, end time.Time, pageSize int, pages chan<- retroPage) {
	defer close(pages)
	lastTS, lastID := w.Add(-time.Nanosecond), ""
	for {
		page, err := es.Query(ctx, tenant, w, end, store.CompiledQuery{Events: true,
			SQL:  "SELECT " + duckdb.EventColumns + " FROM events WHERE ts > ? OR (ts = ? AND id > ?) ORDER BY ts, id LIMIT ?",
			Args: []any{lastTS, lastTS, lastID, int64(pageSize)}})
		if err != nil {
			err = fmt.Errorf("retro-hunt: read events after %s: %w", lastTS.Format(time.RFC3339Nano), err)
		}
		select {
		case pages <- retroPage{page.Events, err}:
		case <-ctx.Done():
			return
		}
		if err != nil || len(page.Events) < pageSize {
			return
		}
		last := page.Events[len(page.Events)-1]
		lastTS, lastID = last.Timestamp, last.ID
	}
}

// RaiseAlerts turns retro-hunt matches into alerts of the tenant the way
// live detection does (alert.FromMatches: dedup by fingerprint), and
// records the run in the audit trail, in one transaction.
func RaiseAlerts(ctx context.Context, st store.State, tenant, actor string, matches []detect.Match, details map[string]any) ([]store.Alert, error) {
	byTenant := alert.FromMatches(matches)
	alerts := byTenant[tenant]
	var stored []store.Alert
	err := st.Scope(tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
		if len(alerts) > 0 {
			var err error
			if stored, err = tx.Upsert(ctx, alerts, 24*time.Hour); err != nil {
				return err
			}
		}
		d := map[string]any{"matches": len(matches), "alerts": len(alerts)}
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
