package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func TestAlertingConformance(t *testing.T) {
	storetest.RunAlerting(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}

// TestAlertListConformance runs the filter suite twice: with the store's
// own search limit (entity and text filters read their few candidates by
// id) and with a limit of 2 (they walk the alerts and test each).
func TestAlertListConformance(t *testing.T) {
	for _, limit := range []int{0, 2} {
		t.Run(fmt.Sprint("search limit ", limit), func(t *testing.T) {
			storetest.RunAlertList(t, func(t *testing.T, dir string) store.State {
				s := open(t, dir)
				if limit > 0 {
					s.SetSearchLimit(limit)
				}
				return s
			})
		})
	}
}

// TestAlertSearchRowsGoWithAlerts checks that retention deletes an alert's
// entity and text rows with it: left behind, they would slow every search
// and grow without bound.
func TestAlertSearchRowsGoWithAlerts(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	alerts := s.Scope(store.DefaultTenant).Alerts()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var in []store.Alert
	for i := range 10 {
		in = append(in, store.Alert{RuleID: "r", RuleTitle: "R", Severity: "high", Fingerprint: fmt.Sprint(i),
			Entities: map[string]string{"host.name": fmt.Sprint("h", i), "user.name": "u"}, FirstSeen: t0, LastSeen: t0})
	}
	got, err := alerts.Upsert(ctx, in, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	closed, fp := store.StatusClosed, store.ResolutionFalsePositive
	for _, a := range got[:4] {
		if err := alerts.Tx(ctx, func(tx store.AlertTx) error {
			_, _, err := tx.Update(ctx, a.ID, store.AlertChange{Status: &closed, Resolution: &fp})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := alerts.DeleteClosedBefore(ctx, t0.Add(time.Hour)); err != nil || n != 4 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	var entities, docs, orphans int
	db := s.DB()
	db.QueryRow(`SELECT count(*) FROM alert_entities`).Scan(&entities)
	db.QueryRow(`SELECT count(*) FROM alert_text`).Scan(&docs)
	db.QueryRow(`SELECT count(*) FROM alert_text WHERE rowid NOT IN (SELECT text_doc FROM alerts)`).Scan(&orphans)
	if entities != 12 || docs != 6 || orphans != 0 {
		t.Errorf("after retention: %d entity rows (want 12), %d text rows (want 6), %d orphaned", entities, docs, orphans)
	}
}

// TestAlertQueuePlans checks that the console's busiest lists read an index
// in page order (no sort of the matching alerts) and that an entity search
// starts from its candidates.
func TestAlertQueuePlans(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	db := s.DB()
	for _, c := range []struct {
		where, want string
	}{
		{`tenant = 'default' AND status = 'new'`, "INDEX alerts_status ("},
		{`tenant = 'default' AND severity = 'high'`, "INDEX alerts_severity ("},
		{`tenant = 'default' AND status = 'new' AND severity = 'high'`, "INDEX alerts_status_severity ("},
		{`tenant = 'default'`, "INDEX alerts_last_seen ("},
		{`tenant = 'default' AND rule_id = 'r7'`, "INDEX alerts_rule_seen ("},
	} {
		plan := explain(t, db, `SELECT rule_title FROM alerts WHERE `+c.where+` ORDER BY last_seen DESC, id DESC LIMIT 200`)
		if !strings.Contains(plan, c.want) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %s and no sort", c.where, plan, c.want)
		}
	}
	plan := explain(t, db, `SELECT alerts.id FROM (SELECT alert_id FROM alert_entities WHERE tenant = 'default' AND value = 'x')
		AS candidate CROSS JOIN alerts ON alerts.id = candidate.alert_id WHERE alerts.tenant = 'default' ORDER BY last_seen DESC, id DESC LIMIT 200`)
	if !strings.Contains(plan, "alert_entities_value") || strings.Contains(plan, "SCAN alerts") {
		t.Errorf("entity search plan %q", plan)
	}
}

func explain(t *testing.T, db *sql.DB, q string) string {
	rows, err := db.Query(`EXPLAIN QUERY PLAN ` + q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}
