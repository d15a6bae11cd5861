package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/incident"
	"github.com/yagura-soc/yagura/internal/store"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkCaseListing lists and filters cases through the API with many
// cases and alerts stored. Sizes: YAGURA_BENCH_CASES (default 2,000) and
// YAGURA_BENCH_ALERTS (default 20,000); bench/cases.sh runs it at 100,000
// and 1,000,000. It reports p50 and p95 per query shape.
func BenchmarkCaseListing(b *testing.B) {
	nCases, nAlerts := envInt("YAGURA_BENCH_CASES", 2000), envInt("YAGURA_BENCH_ALERTS", 20000)
	e := newEnv(b)
	ctx := context.Background()
	pbs, _ := incident.LoadPlaybooks(nil)
	p := pbs["default"]
	sevs := []string{"low", "medium", "high", "critical"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	alerts := e.state.Scope("acme").Alerts()
	for i := 0; i < nAlerts; i += 5000 {
		batch := make([]store.Alert, 0, 5000)
		for j := i; j < min(i+5000, nAlerts); j++ {
			at := t0.Add(time.Duration(j) * time.Second)
			batch = append(batch, store.Alert{RuleID: fmt.Sprint("r", j%200), RuleTitle: "Rule", Severity: sevs[j%4], Fingerprint: fmt.Sprint("fp", j),
				Count: 1, EventIDs: []string{fmt.Sprint("e", j)}, Entities: map[string]string{"host.name": fmt.Sprint("ws-", j%1000)}, FirstSeen: at, LastSeen: at})
		}
		if _, err := alerts.Upsert(ctx, batch, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	cases := e.state.Scope("acme").Cases()
	for i := range nCases {
		c := incident.NewCase(p, fmt.Sprintf("case-%07d", i), "acme", fmt.Sprintf("Incident %d on ws-%d", i, i%1000), sevs[i%4], t0.Add(time.Duration(i)*time.Minute))
		c.Stage = i % 6
		c.Entities = []string{fmt.Sprint("host.name=ws-", i%1000)}
		if i%3 == 0 {
			c.Status = incident.StatusClosed
		}
		if err := cases.Create(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	token := roleToken(b, e, "acme", auth.RoleLead)
	queries := []string{
		"", "?status=open", "?severity=critical", "?stage=3&status=open", "?q=Incident%2042", "?entity=host.name%3Dws-7",
		"?status=open&offset=5000&limit=50",
	}
	client := &http.Client{}
	b.ResetTimer()
	durations := map[string][]time.Duration{}
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/cases"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", q, resp.StatusCode)
		}
		durations[q] = append(durations[q], time.Since(start))
	}
	var all []time.Duration
	for q, ds := range durations {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		all = append(all, ds...)
		b.Logf("%-40q p50 %6.1f ms  p95 %6.1f ms  (%d)", q, ms(ds, .5), ms(ds, .95), len(ds))
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(ms(all, .5), "p50_ms")
	b.ReportMetric(ms(all, .95), "p95_ms")
}

func ms(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	return float64(ds[int(float64(len(ds)-1)*p)]) / float64(time.Millisecond)
}
