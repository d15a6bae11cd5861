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

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/hunt"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
)

// runHunt runs a query of the hunting language against the data folder's
// event store: "hunt 'QUERY' [--from -24h] [--to now] [--tenant T]". The
// event store has one owner, so this works while no server holds the folder.
func runHunt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hunt", stderr)
	var d dataFlags
	d.register(fs)
	from := fs.String("from", "-24h", "start of the range: RFC 3339, a date, or relative (-24h, -7d)")
	to := fs.String("to", "now", "end of the range (exclusive)")
	tenant := fs.String("tenant", store.DefaultTenant, "tenant to search")
	limit := fs.Int("limit", 50, "rows to print")
	format := fs.String("format", "table", "table, json or csv")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: yagura hunt 'QUERY' [flags]\n\nexample: yagura hunt 'event.code:4625 | stats count() by user.name | sort -count' --from -7d\n\nflags:")
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
	cfg, err := d.load()
	if err != nil {
		return err
	}
	es, err := duckdb.Open(ctx, cfg.EventsPath())
	if err != nil {
		return fmt.Errorf("%w (is a server running on this data folder? stop it, or use the API: POST /api/v1/search)", err)
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
