package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/casework"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/embeddedtest"
	"github.com/yagura-soc/yagura/internal/store/fsblob"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkPageRender renders every console page server-side (session
// lookup, store reads, template) with many cases and alerts stored and
// reports p50 and p95 per page. Sizes: YAGURA_BENCH_CASES (default 2,000)
// and YAGURA_BENCH_ALERTS (default 20,000); bench/console.sh runs it at
// 100,000 and 1,000,000. The overview's 30-day snapshot is computed once
// before timing (it is computed in the background in production); its
// cost is reported as snapshot_s.
func BenchmarkPageRender(b *testing.B) {
	nCases, nAlerts := envInt("YAGURA_BENCH_CASES", 2000), envInt("YAGURA_BENCH_ALERTS", 20000)
	ctx := context.Background()
	dir := b.TempDir()
	evs, st := embeddedtest.Open(b)
	pbs, _ := incident.LoadPlaybooks(nil)
	desk := &casework.Service{State: st, Events: evs, Blobs: fsblob.New(filepath.Join(dir, "ev")), Playbooks: pbs}
	logins := auth.NewLogins(st.Users(), st.Sessions())
	console, err := New(Deps{State: st, Events: evs, Cases: desk, Logins: logins, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SnapshotTTL: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.HashPassword("purple-Tractor-42")
	st.Users().Create(ctx, store.User{Name: "lena", PasswordHash: hash, TimeZone: "Asia/Tokyo"})
	st.Users().Bind(ctx, store.RoleBinding{User: "lena", Tenant: store.DefaultTenant, Role: auth.RoleAdmin})
	sess, err := logins.Login(ctx, "lena", "purple-Tractor-42", "", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}

	load := time.Now()
	sc := st.Scope(store.DefaultTenant)
	sevs := []string{"low", "medium", "high", "critical"}
	now := time.Now().UTC()
	// Alerts over the last 45 days, 1,000 hosts and 300 users.
	t0 := now.Add(-45 * 24 * time.Hour)
	step := 45 * 24 * time.Hour / time.Duration(max(nAlerts, 1))
	var someAlert string
	for i := 0; i < nAlerts; i += 5000 {
		batch := make([]store.Alert, 0, 5000)
		for j := i; j < min(i+5000, nAlerts); j++ {
			at := t0.Add(time.Duration(j) * step)
			batch = append(batch, store.Alert{RuleID: fmt.Sprint("r", j%200), RuleTitle: fmt.Sprint("Rule ", j%200), Severity: sevs[j%4],
				RiskScore: 10 + j%90, Fingerprint: fmt.Sprint("fp", j), Count: 1, EventIDs: []string{fmt.Sprint("e", j)},
				Tags: []string{"attack.t1059"}, Entities: map[string]string{"host.name": fmt.Sprint("ws-", j%1000), "user.name": fmt.Sprint("u", j%300)},
				FirstSeen: at, LastSeen: at})
		}
		out, err := sc.Alerts().Upsert(ctx, batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		someAlert = out[len(out)/2].ID
	}
	// 50 contributions of risk to one host.
	err = sc.Alerts().Tx(ctx, func(tx store.AlertTx) error {
		for i := range 50 {
			c := store.RiskContribution{AlertID: someAlert, RuleID: "r7", Points: 5, ScoreAfter: float64(5 * (i + 1)), At: now.Add(time.Duration(i-50) * time.Hour)}
			if err := tx.AddEntityRisk(ctx, store.EntityRisk{Type: "host", Value: "ws-7", Score: c.ScoreAfter, UpdatedAt: c.At}, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	p := pbs[incident.DefaultPlaybook]
	for i := range nCases {
		c := incident.NewCase(p, fmt.Sprintf("case-%07d", i), store.DefaultTenant, fmt.Sprintf("Incident %d on ws-%d", i, i%1000), sevs[i%4], t0.Add(time.Duration(i)*time.Minute))
		c.Stage = i % 6
		c.Entities = []string{fmt.Sprint("host.name=ws-", i%1000)}
		if i%3 == 0 {
			c.Status = incident.StatusClosed
		}
		if err := sc.Cases().Create(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 500 {
		if _, err := sc.Audit().Append(ctx, store.AuditRecord{Time: now, Actor: "lena", Role: "admin", Action: "alert.update", Object: fmt.Sprint("alert/", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d alerts and %d cases in %s", nAlerts, nCases, time.Since(load).Round(time.Second))

	snapStart := time.Now()
	snap := console.snaps.snapshot(ctx, store.DefaultTenant, time.Hour)
	console.counts.get(ctx, store.DefaultTenant, time.Hour)
	if snap.Pending || snap.Err != "" {
		b.Fatalf("snapshot: %+v", snap.Err)
	}
	b.ReportMetric(time.Since(snapStart).Seconds(), "snapshot_s")
	b.Logf("overview snapshot: %s over %d alerts", time.Since(snapStart).Round(time.Millisecond), snap.Report.Alerts)

	pages := []string{
		"/ui/", "/ui/alerts", "/ui/alerts?status=&severity=critical", "/ui/alerts?status=new&severity=critical",
		"/ui/alerts?status=&entity=ws-7", "/ui/alerts?status=&text=Rule%2042", "/ui/alerts?status=&rule_id=r42",
		// Text matching 11% of the alerts (ws-7, ws-70…, ws-700…) and all of them.
		"/ui/alerts?status=&text=ws-7", "/ui/alerts?status=&text=Rule",
		"/ui/alerts/" + someAlert, "/ui/entities/host/ws-7", "/ui/cases", "/ui/cases?view=list", "/ui/cases/case-0000001",
		"/ui/hunt", "/ui/intel", "/ui/admin/audit", "/ui/admin/users", "/ui/admin/retention", "/ui/admin/compliance",
		"/ui/admin/notify",
	}
	durations := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		path := pages[i%len(pages)]
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: "yagura_session", Value: sess.Secret})
		rec := httptest.NewRecorder()
		start := time.Now()
		console.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != 200 {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		durations[path] = append(durations[path], d)
	}
	b.StopTimer()
	var worst float64
	for _, path := range pages {
		ds := durations[path]
		slices.Sort(ds)
		p95 := ms(ds, .95)
		worst = max(worst, p95)
		// Printed, not logged: the testing package cuts benchmark logs
		// after ten lines.
		fmt.Printf("%-40s p50 %7.1f ms  p95 %7.1f ms  (%d)\n", path, ms(ds, .5), p95, len(ds))
	}
	b.ReportMetric(worst, "worst_p95_ms")
}

// ms is the p-quantile of sorted durations in milliseconds.
func ms(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	return float64(ds[int(float64(len(ds)-1)*p)]) / float64(time.Millisecond)
}
