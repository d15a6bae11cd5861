package web

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
)

// Intake health is read from the tenant's own stored events, not from the
// pipeline's Prometheus counters: those are per process and source, not
// per tenant, and know no last-seen time.
const (
	// intakeRateWindow is what events/s is averaged over.
	intakeRateWindow = 5 * time.Minute
	// intakeWindow is how far back the overview looks for sources; a
	// source silent for longer drops off the table.
	intakeWindow = 24 * time.Hour
)

// sourceHealth is one source's intake, by ingestion time.
type sourceHealth struct {
	Source string
	// PerSecond is the mean rate over the last intakeRateWindow.
	PerSecond float64
	// Events and ParseErrors count the intakeWindow; parse errors are
	// events stored raw because no parser could read them.
	Events, ParseErrors int64
	LastSeen            time.Time
}

// intakeHealth reads the tenant's intake per source: two aggregations
// over the events of the last day, run by the overview's background memo,
// never per page view.
func (s *Server) intakeHealth(ctx context.Context, tenant string) ([]sourceHealth, error) {
	if s.deps.Events == nil {
		return nil, nil
	}
	now := s.deps.Now()
	// Event times may run a little ahead of the server's clock.
	from, to := now.Add(-intakeWindow), now.Add(time.Hour)
	stats := func(query string) ([][]any, error) {
		res, err := hunt.Run(ctx, s.deps.Events, hunt.Request{Tenant: tenant, Query: query, From: from, To: to, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("intake health: %w", err)
		}
		return res.Rows, nil
	}
	since := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339Nano) }
	day, err := stats("event.ingested:>=" + since(intakeWindow) +
		" | stats count() as events, count(event.parse_error) as errors, max(event.ingested) as last by yagura.source")
	if err != nil {
		return nil, err
	}
	recent, err := stats("event.ingested:>=" + since(intakeRateWindow) + " | stats count() as events by yagura.source")
	if err != nil {
		return nil, err
	}
	perSource := map[string]int64{}
	for _, r := range recent {
		perSource[event.String(r[0])] = number(r[1])
	}
	var out []sourceHealth
	for _, r := range day {
		src := event.String(r[0])
		h := sourceHealth{Source: src, Events: number(r[1]), ParseErrors: number(r[2]),
			PerSecond: float64(perSource[src]) / intakeRateWindow.Seconds()}
		h.LastSeen, _ = r[3].(time.Time)
		out = append(out, h)
	}
	// Busiest first; a silent source sinks to the end, where its last
	// seen time tells how long it has been quiet.
	slices.SortFunc(out, func(a, b sourceHealth) int {
		return cmp.Or(cmp.Compare(b.PerSecond, a.PerSecond), b.LastSeen.Compare(a.LastSeen), strings.Compare(a.Source, b.Source))
	})
	return out, nil
}

// number reads an integer aggregate as the event store returns it.
func number(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	case uint64:
		return int64(n)
	}
	return 0
}
