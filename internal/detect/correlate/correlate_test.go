package correlate

import (
	"strings"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/event"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// step is one base match fed to the engine.
type step struct {
	rule   string
	offset time.Duration
	fields map[string]any
}

func feed(t *testing.T, e *Engine, steps []step) []detect.Match {
	t.Helper()
	var out []detect.Match
	for _, s := range steps {
		ev := &event.Event{Tenant: "t1", Timestamp: t0.Add(s.offset), Fields: event.Fields{}}
		for k, v := range s.fields {
			ev.Fields[k] = v
		}
		out = e.Observe(s.rule, ev, out)
	}
	return out
}

func user(u string) map[string]any { return map[string]any{"User": u} }

func TestCorrelationTypes(t *testing.T) {
	base := func(typ string, cond map[string]float64, rules ...string) Rule {
		return Rule{Key: "corr", ID: "c-id", Title: "corr", Level: "high", Type: typ, Rules: rules,
			GroupBy: []string{"User"}, Timespan: 10 * time.Minute, Condition: cond}
	}
	withField := func(r Rule, f string) Rule { r.Field = f; return r }
	tests := []struct {
		name  string
		rule  Rule
		steps []step
		fires int
	}{
		{"event_count reaches gte", base(EventCount, map[string]float64{"gte": 3}, "fail"),
			[]step{{"fail", 0, user("bob")}, {"fail", time.Minute, user("bob")}, {"fail", 2 * time.Minute, user("bob")}}, 1},
		{"event_count groups apart", base(EventCount, map[string]float64{"gte": 3}, "fail"),
			[]step{{"fail", 0, user("bob")}, {"fail", time.Minute, user("alice")}, {"fail", 2 * time.Minute, user("bob")}}, 0},
		{"event_count outside window", base(EventCount, map[string]float64{"gte": 3}, "fail"),
			[]step{{"fail", 0, user("bob")}, {"fail", 6 * time.Minute, user("bob")}, {"fail", 11 * time.Minute, user("bob")}}, 0},
		{"event_count fires once then restarts", base(EventCount, map[string]float64{"gte": 2}, "fail"),
			[]step{{"fail", 0, user("bob")}, {"fail", 1, user("bob")}, {"fail", 2, user("bob")}, {"fail", 3, user("bob")}}, 2},
		{"event_count range", base(EventCount, map[string]float64{"gt": 1, "lte": 2}, "fail"),
			[]step{{"fail", 0, user("bob")}, {"fail", 1, user("bob")}}, 1},
		{"event_count eq", base(EventCount, map[string]float64{"eq": 2}, "fail"),
			[]step{{"fail", 0, user("bob")}, {"fail", 1, user("bob")}}, 1},
		{"event_count missing group field", base(EventCount, map[string]float64{"gte": 1}, "fail"),
			[]step{{"fail", 0, nil}}, 0},
		{"event_count out of order in window", base(EventCount, map[string]float64{"gte": 3}, "fail"),
			[]step{{"fail", 5 * time.Minute, user("bob")}, {"fail", 9 * time.Minute, user("bob")}, {"fail", 1 * time.Minute, user("bob")}}, 1},
		{"event_count too late", base(EventCount, map[string]float64{"gte": 2}, "fail"),
			[]step{{"fail", 30 * time.Minute, user("bob")}, {"fail", 0, user("bob")}}, 0},
		{"value_count distinct", withField(base(ValueCount, map[string]float64{"gte": 3}, "fail"), "Host"),
			[]step{
				{"fail", 0, map[string]any{"User": "bob", "Host": "a"}},
				{"fail", 1, map[string]any{"User": "bob", "Host": "a"}},
				{"fail", 2, map[string]any{"User": "bob", "Host": "b"}},
				{"fail", 3, map[string]any{"User": "bob", "Host": "c"}},
			}, 1},
		{"value_count not enough", withField(base(ValueCount, map[string]float64{"gte": 3}, "fail"), "Host"),
			[]step{{"fail", 0, map[string]any{"User": "bob", "Host": "a"}}, {"fail", 1, map[string]any{"User": "bob", "Host": "a"}}, {"fail", 2, map[string]any{"User": "bob", "Host": "b"}}}, 0},
		{"value_sum", withField(base(ValueSum, map[string]float64{"gt": 1000}, "xfer"), "Bytes"),
			[]step{{"xfer", 0, map[string]any{"User": "bob", "Bytes": int64(600)}}, {"xfer", 1, map[string]any{"User": "bob", "Bytes": "500"}}}, 1},
		{"value_sum skips non-numbers", withField(base(ValueSum, map[string]float64{"gt": 1000}, "xfer"), "Bytes"),
			[]step{{"xfer", 0, map[string]any{"User": "bob", "Bytes": int64(600)}}, {"xfer", 1, map[string]any{"User": "bob", "Bytes": "lots"}}}, 0},
		{"value_avg", withField(base(ValueAvg, map[string]float64{"gte": 50}, "xfer"), "Bytes"),
			[]step{{"xfer", 0, map[string]any{"User": "bob", "Bytes": int64(10)}}, {"xfer", 1, map[string]any{"User": "bob", "Bytes": int64(100)}}}, 1},
		{"value_avg below", withField(base(ValueAvg, map[string]float64{"gte": 60}, "xfer"), "Bytes"),
			[]step{{"xfer", 0, map[string]any{"User": "bob", "Bytes": int64(10)}}, {"xfer", 1, map[string]any{"User": "bob", "Bytes": int64(100)}}}, 0},
		{"temporal all rules", base(Temporal, map[string]float64{"gte": 3}, "a", "b", "c"),
			[]step{{"c", 0, user("bob")}, {"a", time.Minute, user("bob")}, {"b", 2 * time.Minute, user("bob")}}, 1},
		{"temporal missing one", base(Temporal, map[string]float64{"gte": 3}, "a", "b", "c"),
			[]step{{"a", 0, user("bob")}, {"a", time.Minute, user("bob")}, {"b", 2 * time.Minute, user("bob")}}, 0},
		{"temporal other user", base(Temporal, map[string]float64{"gte": 2}, "a", "b"),
			[]step{{"a", 0, user("bob")}, {"b", time.Minute, user("eve")}}, 0},
		{"temporal_ordered in order", base(TemporalOrdered, map[string]float64{"gte": 2}, "fail", "success"),
			[]step{{"fail", 0, user("bob")}, {"success", time.Minute, user("bob")}}, 1},
		{"temporal_ordered wrong order", base(TemporalOrdered, map[string]float64{"gte": 2}, "fail", "success"),
			[]step{{"success", 0, user("bob")}, {"fail", time.Minute, user("bob")}}, 0},
		{"temporal_ordered same rule twice", base(TemporalOrdered, map[string]float64{"gte": 3}, "fail", "fail", "success"),
			[]step{{"fail", 0, user("bob")}, {"fail", time.Minute, user("bob")}, {"success", 2 * time.Minute, user("bob")}}, 1},
		{"temporal_ordered same rule twice needs two", base(TemporalOrdered, map[string]float64{"gte": 3}, "fail", "fail", "success"),
			[]step{{"fail", 0, user("bob")}, {"success", 2 * time.Minute, user("bob")}}, 0},
		{"temporal_ordered late arrival restores order", base(TemporalOrdered, map[string]float64{"gte": 2}, "fail", "success"),
			[]step{{"success", 2 * time.Minute, user("bob")}, {"fail", time.Minute, user("bob")}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New([]Rule{tt.rule}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ms := feed(t, e, tt.steps)
			if len(ms) != tt.fires {
				t.Fatalf("fired %d times, want %d", len(ms), tt.fires)
			}
			for _, m := range ms {
				if !m.Correlation || m.RuleID != "c-id" || m.Level != "high" || m.Tenant != "t1" || len(m.Events) == 0 {
					t.Errorf("match = %+v", m)
				}
				if m.GroupBy["User"] == "" {
					t.Errorf("group-by values missing: %v", m.GroupBy)
				}
			}
		})
	}
}

func TestAliasesAndChains(t *testing.T) {
	rules := []Rule{
		{Key: "pair", ID: "pair", Title: "error then connection", Type: Temporal, Rules: []string{"internal_error", "new_conn"},
			GroupBy: []string{"ip"}, Timespan: 10 * time.Second, Condition: map[string]float64{"gte": 2},
			Aliases: map[string]map[string]string{"ip": {"internal_error": "destination.ip", "new_conn": "source.ip"}}},
		{Key: "repeat", ID: "repeat", Title: "pair twice", Type: EventCount, Rules: []string{"pair"},
			GroupBy: []string{"ip"}, Timespan: time.Hour, Condition: map[string]float64{"gte": 2}},
	}
	e, err := New(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []step{
		{"internal_error", 0, map[string]any{"destination.ip": "10.0.0.5"}},
		{"new_conn", 2 * time.Second, map[string]any{"source.ip": "10.0.0.5"}},
		{"internal_error", time.Minute, map[string]any{"destination.ip": "10.0.0.5"}},
		{"new_conn", time.Minute + time.Second, map[string]any{"source.ip": "10.0.0.5"}},
	}
	ms := feed(t, e, steps)
	var titles []string
	for _, m := range ms {
		titles = append(titles, m.RuleTitle)
	}
	if got := strings.Join(titles, ","); got != "error then connection,error then connection,pair twice" {
		t.Fatalf("fired %s", got)
	}
	if ms[2].GroupBy["ip"] != "10.0.0.5" {
		t.Errorf("chained group-by = %v", ms[2].GroupBy)
	}
}

func TestBoundedState(t *testing.T) {
	r := Rule{Key: "c", ID: "c", Type: EventCount, Rules: []string{"x"}, GroupBy: []string{"User"},
		Timespan: time.Hour, Condition: map[string]float64{"gte": 1000}}
	e, err := New([]Rule{r}, Options{MaxGroups: 3, MaxEntries: 5, MaxEvents: 2})
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	for i := 0; i < 10; i++ {
		steps = append(steps, step{"x", time.Duration(i) * time.Second, user(string(rune('a' + i)))})
	}
	for i := 0; i < 10; i++ {
		steps = append(steps, step{"x", time.Duration(i) * time.Second, user("z")})
	}
	feed(t, e, steps)
	st := e.Stats()
	if st.GroupEvictions != 8 {
		t.Errorf("group evictions = %d, want 8 (11 groups, cap 3)", st.GroupEvictions)
	}
	if st.EntryEvictions != 5 {
		t.Errorf("entry evictions = %d, want 5 (10 entries, cap 5)", st.EntryEvictions)
	}
	if n := len(e.rules[0].groups); n != 3 {
		t.Errorf("groups kept = %d, want 3", n)
	}

	// Contributing events are bounded by MaxEvents.
	r2 := r
	r2.Condition = map[string]float64{"gte": 4}
	e2, _ := New([]Rule{r2}, Options{MaxEvents: 2})
	ms := feed(t, e2, []step{{"x", 0, user("a")}, {"x", 1, user("a")}, {"x", 2, user("a")}, {"x", 3, user("a")}})
	if len(ms) != 1 || len(ms[0].Events) != 2 {
		t.Fatalf("matches %d, events %d; want 1 match with 2 events", len(ms), len(ms[0].Events))
	}
	if ms[0].Fields["correlation.count"] != int64(4) {
		t.Errorf("count = %v", ms[0].Fields["correlation.count"])
	}
}

func TestNewRejects(t *testing.T) {
	ok := Rule{Key: "a", Type: EventCount, Rules: []string{"x"}, Timespan: time.Minute, Condition: map[string]float64{"gte": 1}}
	tests := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"bad type", []Rule{{Key: "a", Type: "nope", Rules: []string{"x"}, Timespan: time.Minute, Condition: ok.Condition}}, "unsupported correlation type"},
		{"no field", []Rule{{Key: "a", Type: ValueCount, Rules: []string{"x"}, Timespan: time.Minute, Condition: ok.Condition}}, "needs a field"},
		{"no timespan", []Rule{{Key: "a", Type: EventCount, Rules: []string{"x"}, Condition: ok.Condition}}, "timespan"},
		{"duplicate", []Rule{ok, ok}, "duplicate"},
		{"cycle", []Rule{
			{Key: "a", Type: EventCount, Rules: []string{"b"}, Timespan: time.Minute, Condition: ok.Condition},
			{Key: "b", Type: EventCount, Rules: []string{"a"}, Timespan: time.Minute, Condition: ok.Condition},
		}, "cycle"},
	}
	for _, tt := range tests {
		if _, err := New(tt.rules, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	entries := func(nums ...float64) []entry {
		out := make([]entry, len(nums))
		for i, n := range nums {
			out[i] = entry{num: n}
		}
		return out
	}
	var hundred []float64
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, float64(i))
	}
	tests := []struct {
		p    float64
		nums []float64
		want float64
	}{
		{95, hundred, 95},
		{50, hundred, 50},
		{100, hundred, 100},
		{1, hundred, 1},
		{50, []float64{7}, 7},
		{50, []float64{3, 1, 2, 4}, 2},
	}
	for _, tt := range tests {
		r := &Rule{Type: ValuePercentile, Percentile: tt.p}
		got, ok := aggregate(r, entries(tt.nums...))
		if !ok || got != tt.want {
			t.Errorf("p%v of %d values = %v, want %v", tt.p, len(tt.nums), got, tt.want)
		}
	}
	// In a stream: the 95th percentile of response times crosses 90.
	rule := Rule{Key: "p", ID: "c-id", Level: "high", Type: ValuePercentile, Rules: []string{"lat"}, GroupBy: []string{"User"},
		Field: "Ms", Percentile: 95, Timespan: time.Hour, Condition: map[string]float64{"gte": 90}}
	e, err := New([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	for i := 1; i <= 18; i++ {
		steps = append(steps, step{"lat", time.Duration(i), map[string]any{"User": "bob", "Ms": int64(i * 5)}})
	}
	ms := feed(t, e, steps)
	if len(ms) != 1 || ms[0].Fields["correlation.value"] != float64(90) {
		t.Fatalf("matches = %+v, want one at p95 = 90", ms)
	}
}

func TestStatsAdd(t *testing.T) {
	a := Stats{GroupEvictions: 1, EntryEvictions: 2, Late: 3, Fired: 4}
	b := Stats{GroupEvictions: 10, EntryEvictions: 20, Late: 30, Fired: 40}
	if got, want := a.Add(b), (Stats{GroupEvictions: 11, EntryEvictions: 22, Late: 33, Fired: 44}); got != want {
		t.Errorf("Add = %+v, want %+v", got, want)
	}
}
