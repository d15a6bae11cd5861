package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/store"
)

// RunIOCs runs the indicator store conformance suite.
func RunIOCs(t *testing.T, open OpenState) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	prep := func(t *testing.T, i intel.IOC) intel.IOC {
		t.Helper()
		p, err := intel.Prepare(i, t0)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("dedup across sources keeps every source and the highest confidence", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		c := s.Scope(store.DefaultTenant).IOCs()
		low := prep(t, intel.IOC{Type: intel.IPv4, Value: "203.0.113.7", Confidence: 40, TLP: "green",
			Tags: []string{"c2"}, Sources: []intel.Source{{Name: "feodo"}}})
		high := prep(t, intel.IOC{Type: intel.IPv4, Value: "203.0.113.7", Confidence: 90, TLP: "amber", ToBlock: true,
			Tags: []string{"botnet"}, Sources: []intel.Source{{Name: "misp"}}})
		res, err := c.Upsert(ctx, []intel.IOC{low})
		if err != nil || res.Created != 1 || len(res.Changed) != 1 {
			t.Fatalf("first upsert: %+v, %v", res, err)
		}
		res, err = c.Upsert(ctx, []intel.IOC{high, low}) // a re-report in the same batch merges too
		if err != nil || res.Updated != 1 || res.Created != 0 {
			t.Fatalf("second upsert: %+v, %v", res, err)
		}
		got, err := c.Find(ctx, intel.IPv4, "203.0.113.7")
		if err != nil {
			t.Fatal(err)
		}
		if got.Confidence != 90 || got.TLP != "amber" || !got.ToBlock || len(got.Sources) != 2 ||
			got.Source() != "misp" || len(got.Tags) != 2 {
			t.Errorf("merged = %+v", got)
		}
		res, err = c.Upsert(ctx, []intel.IOC{high})
		if err != nil || len(res.Changed) != 0 {
			t.Errorf("unchanged re-import changed %d (%v); the change feed must not churn", len(res.Changed), err)
		}
	})

	t.Run("bulk upsert merges stored, repeated and new indicators", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		c := s.Scope(store.DefaultTenant).IOCs()
		addr := func(k int) string { return fmt.Sprintf("198.18.%d.%d", k/250, 1+k%250) }
		var first []intel.IOC
		for k := 0; k < 1000; k += 2 { // the even ones are stored first, at 40
			first = append(first, prep(t, intel.IOC{Type: intel.IPv4, Value: addr(k), Confidence: 40, TLP: "green",
				Sources: []intel.Source{{Name: "feodo"}}}))
		}
		if res, err := c.Upsert(ctx, first); err != nil || res.Created != 500 {
			t.Fatalf("first upsert: %d created, %v", res.Created, err)
		}
		// A batch far larger than one statement: every address at 90 from
		// misp, the odd ones reported twice (the second time at 60 by
		// urlhaus), and an unchanged re-report of a stored one.
		var batch []intel.IOC
		for k := 999; k >= 0; k-- {
			batch = append(batch, prep(t, intel.IOC{Type: intel.IPv4, Value: addr(k), Confidence: 90, TLP: "amber",
				ToBlock: true, Sources: []intel.Source{{Name: "misp"}}}))
			if k%2 == 1 {
				batch = append(batch, prep(t, intel.IOC{Type: intel.IPv4, Value: addr(k), Confidence: 60,
					Sources: []intel.Source{{Name: "urlhaus"}}}))
			}
		}
		batch = append(batch, first[0])
		res, err := c.Upsert(ctx, batch)
		if err != nil || res.Created != 500 || res.Updated != 500 || len(res.Changed) != 1000 {
			t.Fatalf("bulk upsert: %d created, %d updated, %d changed, %v", res.Created, res.Updated, len(res.Changed), err)
		}
		for k, i := range res.Changed {
			if i.Seq != int64(501+k) {
				t.Fatalf("change %d has seq %d, want %d: change numbers must follow Changed without gaps", k, i.Seq, 501+k)
			}
		}
		for _, k := range []int{0, 1, 998, 999} {
			got, err := c.Find(ctx, intel.IPv4, addr(k))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"feodo", "misp"}
			if k%2 == 1 {
				want = []string{"misp", "urlhaus"}
			}
			var names []string
			for _, src := range got.Sources {
				names = append(names, src.Name)
			}
			if got.Confidence != 90 || got.TLP != "amber" || !got.ToBlock || fmt.Sprint(names) != fmt.Sprint(want) {
				t.Errorf("%s: confidence %d, TLP %s, to_block %v, sources %v; want 90, amber, true, %v",
					addr(k), got.Confidence, got.TLP, got.ToBlock, names, want)
			}
		}
		if head, _ := c.Head(ctx); head != 1500 {
			t.Errorf("head %d, want 1500", head)
		}
		if res, err := c.Upsert(ctx, batch); err != nil || len(res.Changed) != 0 {
			t.Errorf("unchanged bulk re-import changed %d (%v)", len(res.Changed), err)
		}
	})

	t.Run("tenants never see each other's indicators", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		if _, err := s.Tenants().Create(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		a, d := s.Scope("acme").IOCs(), s.Scope(store.DefaultTenant).IOCs()
		res, err := a.Upsert(ctx, []intel.IOC{prep(t, intel.IOC{Type: intel.Domain, Value: "evil.example"})})
		if err != nil {
			t.Fatal(err)
		}
		id := res.Changed[0].ID
		if _, err := d.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other tenant Get: %v, want ErrNotFound", err)
		}
		if _, err := d.Revoke(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other tenant Revoke: %v, want ErrNotFound", err)
		}
		if l, n, _ := d.List(ctx, store.IOCFilter{}); n != 0 || len(l) != 0 {
			t.Errorf("other tenant List: %d", n)
		}
		if ch, _ := d.Changes(ctx, 0, 10); len(ch) != 0 {
			t.Errorf("other tenant Changes: %d", len(ch))
		}
		if head, _ := a.Head(ctx); head != 1 {
			t.Errorf("acme head %d, want 1", head)
		}
		if _, err := s.Scope("nobody").IOCs().Upsert(ctx, []intel.IOC{prep(t, intel.IOC{Type: intel.Domain, Value: "x.example"})}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown tenant: %v, want ErrNotFound", err)
		}
	})

	t.Run("change feed numbers every change and keeps removals", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		c := s.Scope(store.DefaultTenant).IOCs()
		exp := t0.Add(time.Hour)
		res, err := c.Upsert(ctx, []intel.IOC{
			prep(t, intel.IOC{Type: intel.Domain, Value: "a.example", ToBlock: true}),
			prep(t, intel.IOC{Type: intel.URL, Value: "http://b.example/x", Expires: &exp}),
			prep(t, intel.IOC{Type: intel.SHA256, Value: "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C"}),
		})
		if err != nil || res.Created != 3 {
			t.Fatalf("upsert: %+v %v", res, err)
		}
		for k, i := range res.Changed {
			if i.Seq != int64(k+1) {
				t.Errorf("change %d has seq %d", k, i.Seq)
			}
		}
		rev, err := c.Revoke(ctx, res.Changed[0].ID)
		if err != nil || !rev.Revoked || rev.Seq != 4 {
			t.Fatalf("revoke: %+v %v", rev, err)
		}
		n, err := c.Lapse(ctx, t0.Add(2*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("lapse: %d %v", n, err)
		}
		if n, _ := c.Lapse(ctx, t0.Add(3*time.Hour)); n != 0 {
			t.Errorf("lapse announced the same expiry twice")
		}
		s.Close()
		s = open(t, dir)
		defer s.Close()
		c = s.Scope(store.DefaultTenant).IOCs()
		ch, err := c.Changes(ctx, 3, 10)
		if err != nil || len(ch) != 2 || ch[0].Value != "a.example" || !ch[0].Revoked || ch[1].Value != "http://b.example/x" || ch[1].Seq != 5 {
			t.Fatalf("changes since 3: %+v %v", ch, err)
		}
		if head, _ := c.Head(ctx); head != 5 {
			t.Errorf("head %d, want 5", head)
		}
		seen := 0
		c.Each(ctx, func(intel.IOC) error { seen++; return nil })
		if seen != 2 {
			t.Errorf("Each saw %d, want 2 (revoked left out)", seen)
		}
		if _, total, _ := c.List(ctx, store.IOCFilter{Revoked: true}); total != 3 {
			t.Errorf("List with revoked: %d", total)
		}
		// Reporting a revoked indicator again brings it back.
		res, err = c.Upsert(ctx, []intel.IOC{prep(t, intel.IOC{Type: intel.Domain, Value: "a.example", ToBlock: true})})
		if err != nil || len(res.Changed) != 1 || res.Changed[0].Revoked {
			t.Errorf("re-report of a revoked indicator: %+v %v", res, err)
		}
	})

	t.Run("edit, hits, filters and consumer thresholds", func(t *testing.T) {
		s := open(t, t.TempDir())
		defer s.Close()
		c := s.Scope(store.DefaultTenant).IOCs()
		res, err := c.Upsert(ctx, []intel.IOC{
			prep(t, intel.IOC{Type: intel.CIDR, Value: "198.51.100.0/24", Sources: []intel.Source{{Name: "apt1"}}}),
			prep(t, intel.IOC{Type: intel.Email, Value: "Bad@Evil.Example"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		i := res.Changed[0]
		i.Confidence, i.ToBlock, i.Tags = 77, true, []string{"edited"}
		up, err := c.Update(ctx, i)
		if err != nil || up.Confidence != 77 || !up.ToBlock || up.Seq != 3 {
			t.Fatalf("update: %+v %v", up, err)
		}
		if err := c.RecordHits(ctx, map[string]int64{i.ID: 3}, t0); err != nil {
			t.Fatal(err)
		}
		got, _ := c.Get(ctx, i.ID)
		if got.Hits != 3 || got.LastHit == nil || !got.LastHit.Equal(t0) {
			t.Errorf("hits %d last %v", got.Hits, got.LastHit)
		}
		yes := true
		for _, f := range []struct {
			f    store.IOCFilter
			want int
		}{
			{store.IOCFilter{Type: intel.Email}, 1},
			{store.IOCFilter{Search: "EVIL"}, 1},
			{store.IOCFilter{Source: "apt1"}, 1},
			{store.IOCFilter{ToBlock: &yes}, 1},
			{store.IOCFilter{Value: "bad@evil.example"}, 1},
			{store.IOCFilter{Type: intel.URL}, 0},
		} {
			if _, n, err := c.List(ctx, f.f); err != nil || n != f.want {
				t.Errorf("List(%+v) = %d, %v; want %d", f.f, n, err, f.want)
			}
		}
		if _, ok, _ := c.ConsumerMinConfidence(ctx, "tok1"); ok {
			t.Error("threshold set before any was stored")
		}
		if err := c.SetConsumerMinConfidence(ctx, "tok1", 80); err != nil {
			t.Fatal(err)
		}
		if min, ok, err := c.ConsumerMinConfidence(ctx, "tok1"); !ok || min != 80 || err != nil {
			t.Errorf("threshold %d %v %v", min, ok, err)
		}
		if _, ok, _ := s.Scope("acme").IOCs().ConsumerMinConfidence(ctx, "tok1"); ok {
			t.Error("threshold leaked to another tenant")
		}
	})
}
