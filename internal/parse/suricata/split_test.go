package suricata

import "testing"

func TestSplit(t *testing.T) {
	parts, err := Split([]byte(`[{"event_type":"alert"}, {"event_type":"flow"}]`))
	if err != nil || len(parts) != 2 || string(parts[1]) != `{"event_type":"flow"}` {
		t.Fatalf("%v %q", err, parts)
	}
	if _, err := Split([]byte(`{"event_type":"alert"}`)); err == nil {
		t.Error("an object split as an array")
	}
}
