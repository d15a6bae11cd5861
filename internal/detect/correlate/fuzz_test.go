package correlate

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
)

// FuzzObserve feeds arbitrary observation sequences (rule, time offset,
// group, value) to every correlation type: nothing may panic and the state
// must stay within its caps.
func FuzzObserve(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{255, 255, 0, 0, 1, 1, 128, 7, 3, 3, 3, 3, 2, 2, 2, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		cond := map[string]float64{"gte": 2}
		rules := []Rule{
			{Key: "ec", ID: "ec", Type: EventCount, Rules: []string{"a"}, GroupBy: []string{"g"}, Timespan: time.Minute, Condition: cond},
			{Key: "vc", ID: "vc", Type: ValueCount, Rules: []string{"a", "b"}, GroupBy: []string{"g"}, Field: "v", Timespan: time.Minute, Condition: cond},
			{Key: "t", ID: "t", Type: Temporal, Rules: []string{"a", "b"}, GroupBy: []string{"g"}, Timespan: time.Minute, Condition: cond},
			{Key: "to", ID: "to", Type: TemporalOrdered, Rules: []string{"a", "b", "ec"}, GroupBy: []string{"g"}, Timespan: time.Minute, Condition: cond},
			{Key: "vs", ID: "vs", Type: ValueSum, Rules: []string{"b"}, Field: "v", Timespan: time.Minute, Condition: map[string]float64{"gt": 10, "lt": 500}},
			{Key: "va", ID: "va", Type: ValueAvg, Rules: []string{"b"}, Field: "v", Timespan: time.Minute, Condition: map[string]float64{"neq": 3}},
			{Key: "vp", ID: "vp", Type: ValuePercentile, Rules: []string{"a"}, Field: "v", Percentile: 90, Timespan: time.Minute, Condition: map[string]float64{"eq": 7}},
		}
		e, err := New(rules, Options{MaxGroups: 4, MaxEntries: 8, MaxEvents: 3})
		if err != nil {
			t.Fatal(err)
		}
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for len(data) >= 4 {
			rule := []string{"a", "b"}[data[0]%2]
			offset := time.Duration(int16(binary.LittleEndian.Uint16(data[1:3]))) * time.Second
			ev := &event.Event{Timestamp: base.Add(offset), Fields: event.Fields{"g": int64(data[3] % 8), "v": int64(data[3])}}
			for _, m := range e.Observe(rule, ev, nil) {
				if len(m.Events) > 3 {
					t.Fatalf("match carries %d events, cap 3", len(m.Events))
				}
			}
			data = data[4:]
		}
		for _, rs := range e.rules {
			if len(rs.groups) > 4 {
				t.Fatalf("%s keeps %d groups, cap 4", rs.rule.Key, len(rs.groups))
			}
			for _, el := range rs.groups {
				g := el.Value.(*group)
				if len(g.entries) > 8 || len(g.recent) > 3 {
					t.Fatalf("%s group keeps %d entries / %d events", rs.rule.Key, len(g.entries), len(g.recent))
				}
			}
		}
	})
}
