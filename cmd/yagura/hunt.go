package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
)

// runHunt runs a query of the hunting language against the data folder's
// event store: "hunt 'QUERY' [--from -24h] [--to now] [--tenant T]". The
// event store has one owner, so this works while no server holds the folder.
func runHunt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	tuneGC(hunt.GCPercent)
	fs := newFlagSet("hunt", stderr)
	var d dataFlags
	d.register(fs)
	from := fs.String("from", "-24h", "start of the range: RFC 3339, a date, or relative (-24h, -7d)")
	to := fs.String("to", "now", "end of the range (exclusive)")
	tenant := fs.String("tenant", store.DefaultTenant, "tenant to search")
	limit := fs.Int("limit", 50, "rows to print")
	format := fs.String("format", "table", "table, json or csv")
	sigmaPath := fs.String("sigma", "", "retro-hunt: run Sigma rules (a file, a folder, or \"builtin\") over the range instead of a query")
	raise := fs.Bool("alerts", false, "retro-hunt: raise alerts for the matches in the state store")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: yagura hunt 'QUERY' [flags]\n       yagura hunt --sigma RULES [--alerts] [flags]\n\n"+
			"example: yagura hunt 'event.code:4625 | stats count() by user.name | sort -count' --from -7d\n"+
			"         yagura hunt --sigma builtin --from -30d\n\nflags:")
		fs.PrintDefaults()
	}
	// The query usually comes first, before the flags.
	var query string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		query, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *sigmaPath != "" {
		if query != "" || fs.NArg() > 0 {
			return usageError("give either a query or --sigma, not both")
		}
		return retroHunt(ctx, d, *tenant, *from, *to, *sigmaPath, *raise, stdout, stderr)
	}
	if query == "" && fs.NArg() > 0 {
		query = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError("one query only; quote it: yagura hunt 'a:1 | stats count()'")
	}
	if *format != "table" && *format != "json" && *format != "csv" {
		return usageError("--format is table, json or csv, not %q", *format)
	}
	now := time.Now().UTC()
	toT, err := hunt.ParseTime(*to, now)
	if err != nil {
		return usageError("--to: %v", err)
	}
	fromT, err := hunt.ParseTime(*from, now)
	if err != nil {
		return usageError("--from: %v", err)
	}
	es, err := d.openEvents(ctx, "stop it, or use the API: POST /api/v1/search")
	if err != nil {
		return err
	}
	defer es.Close()
	start := time.Now()
	res, err := hunt.Run(ctx, es, hunt.Request{Tenant: *tenant, Query: query, From: fromT, To: toT, Limit: *limit})
	if err != nil {
		var qe *hunt.Error
		if errors.As(err, &qe) {
			fmt.Fprintln(stderr, qe.Caret())
			return exitError{2}
		}
		return err
	}
	if err := printHunt(stdout, res, *format); err != nil {
		return err
	}
	if *format == "table" {
		fmt.Fprintf(stderr, "%d of %d shown, %s\n", len(res.Events)+len(res.Rows), res.Total, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func printHunt(w io.Writer, res hunt.Result, format string) error {
	cols, rows := res.Columns, res.Rows
	if res.Columns == nil {
		cols = []string{"@timestamp", "host.name", "event.dataset", "event.original"}
		for _, ev := range res.Events {
			host, _ := ev.GetString("host.name")
			ds, _ := ev.GetString("event.dataset")
			rows = append(rows, []any{ev.Timestamp, host, ds, ev.Raw})
		}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, ev := range res.Events {
			if err := enc.Encode(ev); err != nil {
				return err
			}
		}
		for _, r := range res.Rows {
			obj := make(map[string]any, len(r))
			for i, v := range r {
				obj[cols[i]] = v
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		fmt.Fprintln(w, strings.Join(cols, ","))
		for _, r := range rows {
			cells := make([]string, len(r))
			for i, v := range r {
				cells[i] = csvField(cell(v))
			}
			fmt.Fprintln(w, strings.Join(cells, ","))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			c := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(cell(v))
			if len(c) > 160 {
				c = c[:157] + "..."
			}
			cells[i] = c
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func cell(v any) string {
	if t, ok := v.(time.Time); ok {
		return t.Format(time.RFC3339)
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i := range l {
			parts[i] = event.String(l[i])
		}
		return strings.Join(parts, " ")
	}
	return event.String(v)
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// retroHunt runs Sigma rules over the stored range with the live engine,
// prints the matches (progress on stderr) and optionally raises alerts.
func retroHunt(ctx context.Context, d dataFlags, tenant, fromS, toS, rulesPath string, raise bool, stdout, stderr io.Writer) error {
	now := time.Now().UTC()
	from, err := hunt.ParseTime(fromS, now)
	if err != nil {
		return usageError("--from: %v", err)
	}
	to, err := hunt.ParseTime(toS, now)
	if err != nil {
		return usageError("--to: %v", err)
	}
	set := &sigma.RuleSet{}
	if rulesPath == "builtin" {
		if set, err = builtin.Load(); err != nil {
			return err
		}
	} else {
		var rejected []sigma.Rejection
		if set, rejected, err = sigma.LoadPaths(rulesPath); err != nil {
			return err
		}
		for _, r := range rejected {
			fmt.Fprintf(stderr, "rejected %s\n", r)
		}
	}
	engine, err := sigma.NewEngine(set, sigma.Options{})
	if err != nil {
		return err
	}
	es, err := d.openEvents(ctx, "use POST /api/v1/retro-hunts")
	if err != nil {
		return err
	}
	defer es.Close()
	start := time.Now()
	// Matches are printed as they are found: a broad rule over a long
	// range can match millions of events, which are never all in memory.
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "@timestamp\tlevel\trule\thost.name\tevent.id")
	printed := 0
	res, err := hunt.RetroHunt(ctx, es, tenant, from, to, engine, hunt.RetroOptions{
		Progress: func(p hunt.RetroProgress) {
			fmt.Fprintf(stderr, "\r%d of %d events, %d matches, up to %s", p.Scanned, p.Total, p.Matches, p.Until.Format(time.RFC3339))
		},
		OnMatch: func(m detect.Match) {
			var host, id string
			if len(m.Events) > 0 {
				host, _ = m.Events[0].GetString("host.name")
				id = m.Events[0].ID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Time.Format(time.RFC3339), m.Level, m.RuleTitle, host, id)
			if printed++; printed%500 == 0 {
				tw.Flush() // a tabwriter holds its rows until flushed: align per block, not over millions
			}
		}})
	tw.Flush()
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d rules, %d matches in %d alerts, %s\n", engine.Rules(), res.Matches, len(res.Alerts), time.Since(start).Round(time.Millisecond))
	if !raise || res.Matches == 0 {
		return nil
	}
	st, err := d.openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	alerts, err := hunt.RaiseAlerts(ctx, st, tenant, "cli", res, map[string]any{"from": from, "to": to, "rules": rulesPath})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d alerts raised or updated\n", len(alerts))
	return nil
}
