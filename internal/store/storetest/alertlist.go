package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
)

// RunAlertList is the conformance suite of the alert list's filters: every
// filter (alone and combined, paged, with a capped count) is checked
// against a plain Go reading of the same alerts, across two tenants that
// share entity values and titles, before and after retention deletes the
// closed ones.
func RunAlertList(t *testing.T, open OpenState) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	if _, err := s.Tenants().Create(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	titles := []string{"Rule 42", "rule 420", "Brute force on 50%_off", "Mimikatz", "Ünïcode läuft"}
	ruleIDs := []string{"r_1", "rX1", "proc_creation_win", "net.scan"}
	hosts := []string{"ws-1", "ws-10", "WS-1", "db-7"}
	users := []string{"alice", "bob", "ws-1"}
	sevs := []string{"low", "medium", "high", "critical"}
	var stored []store.Alert
	for _, tenant := range []string{"acme", store.DefaultTenant} {
		var batch []store.Alert
		n := 60
		if tenant != "acme" {
			n = 15
		}
		for i := range n {
			ents := map[string]string{"host.name": hosts[i%len(hosts)]}
			if i%3 != 0 {
				ents["user.name"] = users[i%len(users)]
			}
			if i%7 == 0 {
				ents["source.ip"] = fmt.Sprintf("10.0.0.%d", i)
			}
			at := t0.Add(time.Duration(i%20) * time.Minute) // ties on last_seen: the id decides
			batch = append(batch, store.Alert{RuleID: ruleIDs[i%len(ruleIDs)], RuleTitle: titles[i%len(titles)],
				Severity: sevs[i%len(sevs)], RiskScore: i % 9, Fingerprint: fmt.Sprint(tenant, i), Entities: ents,
				FirstSeen: at, LastSeen: at})
		}
		got, err := s.Scope(tenant).Alerts().Upsert(ctx, batch, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, got...)
	}
	// Some alerts move on: closed, assigned; the list must see the change.
	closed := store.StatusClosed
	fp := store.ResolutionFalsePositive
	me := "alice"
	for i := range stored {
		a := &stored[i]
		var c store.AlertChange
		switch {
		case i%5 == 0:
			c = store.AlertChange{Status: &closed, Resolution: &fp}
		case i%5 == 1:
			c = store.AlertChange{Assignee: &me}
		default:
			continue
		}
		err := s.Scope(a.Tenant).Alerts().Tx(ctx, func(tx store.AlertTx) error {
			_, after, err := tx.Update(ctx, a.ID, c)
			*a = after
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	filters := []store.AlertFilter{
		{},
		{Status: store.StatusNew},
		{Status: store.StatusClosed},
		{Severity: "high"},
		{Status: store.StatusNew, Severity: "critical"},
		{RuleID: "r_1"},
		{Assignee: "alice"},
		{EntityValue: "ws-1"}, // a host and a user: each alert once
		{EntityField: "host.name", EntityValue: "ws-1"},
		{EntityField: "user.name", EntityValue: "ws-1"},
		{EntityValue: "WS-1"}, // entity values match exactly
		{EntityValue: "nobody"},
		{Text: "rule 42"}, // case-insensitive substring: Rule 42 and rule 420
		{Text: "RULE 420"},
		{Text: "r_1"}, // _ is a character, not a wildcard: not rX1
		{Text: "_"},
		{Text: "50%"},
		{Text: "%"},
		{Text: "ws-1"}, // entity values are searched
		{Text: "host.name"},
		{Text: "4"},
		{Text: "läuft"},
		{Text: "10.0.0.2"},
		{Text: "nothing like it"},
		{EntityValue: "ws-1", Text: "rule"},
		{EntityField: "host.name", EntityValue: "db-7", Text: "mimikatz", Status: store.StatusNew},
		{Status: store.StatusNew, EntityValue: "alice"},
		{Text: "rule", From: t0.Add(5 * time.Minute), To: t0.Add(15 * time.Minute)},
		{Text: "r", Sort: "-risk_score"},
		{EntityValue: "bob", Sort: "first_seen"},
		{Text: "e", Limit: 7, Offset: 5},
		{EntityValue: "ws-1", Limit: 3, Offset: 2},
		{Status: store.StatusNew, Limit: 10, Offset: 10},
		{Text: "rule", CountUpTo: 3},
		{EntityValue: "ws-1", CountUpTo: 1000},
		{Status: store.StatusNew, CountUpTo: 5},
		{Text: "rule", CountUpTo: 1},
		{EntityValue: "ws-1", CountUpTo: 1},
		{Text: "rule", Status: store.StatusNew, CountUpTo: 1},
		{Text: "rule", Offset: 1000}, // a page past the end still has the total
		{EntityValue: "ws-1", Offset: 500, CountUpTo: 5},
	}
	check := func(t *testing.T, alerts []store.Alert) {
		for _, tenant := range []string{"acme", store.DefaultTenant} {
			for _, f := range filters {
				want := referenceList(alerts, tenant, f)
				got, total, err := s.Scope(tenant).Alerts().List(ctx, f)
				if err != nil {
					t.Errorf("%s %+v: %v", tenant, f, err)
					continue
				}
				wantTotal := len(want)
				if f.CountUpTo > 0 {
					wantTotal = min(wantTotal, f.CountUpTo+1)
				}
				limit := f.Limit
				if limit == 0 {
					limit = 100
				}
				want = want[min(f.Offset, len(want)):]
				want = want[:min(limit, len(want))]
				if total != wantTotal || !slices.Equal(ids(got), want) {
					t.Errorf("%s %+v:\n got %d %v\nwant %d %v", tenant, f, total, ids(got), wantTotal, want)
				}
			}
		}
	}
	t.Run("before retention", func(t *testing.T) { check(t, stored) })
	t.Run("after retention", func(t *testing.T) {
		for _, tenant := range []string{"acme", store.DefaultTenant} {
			if _, err := s.Scope(tenant).Alerts().DeleteClosedBefore(ctx, t0.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		kept := slices.DeleteFunc(slices.Clone(stored), func(a store.Alert) bool {
			return a.Status == store.StatusClosed && a.LastSeen.Before(t0.Add(10*time.Minute))
		})
		if len(kept) == len(stored) {
			t.Fatal("retention deleted nothing: the test data has no old closed alerts")
		}
		check(t, kept)
	})
}

func ids(alerts []store.Alert) []string {
	out := []string{}
	for _, a := range alerts {
		out = append(out, a.ID)
	}
	return out
}

// referenceList is store.AlertFilter read literally over alerts: the ids
// List must answer, in order, before paging.
func referenceList(alerts []store.Alert, tenant string, f store.AlertFilter) []string {
	var out []store.Alert
	for _, a := range alerts {
		if a.Tenant != tenant || f.Status != "" && a.Status != f.Status || f.Severity != "" && a.Severity != f.Severity ||
			f.RuleID != "" && a.RuleID != f.RuleID || f.Assignee != "" && a.Assignee != f.Assignee ||
			!f.From.IsZero() && a.LastSeen.Before(f.From) || !f.To.IsZero() && !a.LastSeen.Before(f.To) {
			continue
		}
		if f.EntityValue != "" {
			found := false
			for field, v := range a.Entities {
				found = found || v == f.EntityValue && (f.EntityField == "" || field == f.EntityField)
			}
			if !found {
				continue
			}
		}
		if f.Text != "" {
			found := false
			for _, v := range append([]string{a.RuleTitle, a.RuleID}, valuesOf(a.Entities)...) {
				found = found || strings.Contains(asciiLower(v), asciiLower(f.Text))
			}
			if !found {
				continue
			}
		}
		out = append(out, a)
	}
	key := func(a store.Alert) int64 {
		switch strings.TrimPrefix(f.Sort, "-") {
		case "risk_score":
			return int64(a.RiskScore)
		case "first_seen":
			return a.FirstSeen.UnixNano()
		case "count":
			return a.Count
		case "created_at":
			return a.CreatedAt.UnixNano()
		}
		return a.LastSeen.UnixNano()
	}
	desc := f.Sort == "" || strings.HasPrefix(f.Sort, "-")
	slices.SortFunc(out, func(a, b store.Alert) int {
		c := cmp.Compare(key(a), key(b))
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	})
	return ids(out)
}

func valuesOf(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// asciiLower folds ASCII letters only, as SQL's LIKE and lower() do.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
