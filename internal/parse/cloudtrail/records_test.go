package cloudtrail

import "testing"

func TestRecordsFile(t *testing.T) {
	recs, err := Records([]byte(`{"Records":[{"eventName":"A","eventTime":"2026-11-02T09:00:00Z"},{"eventName":"B","eventTime":"2026-11-02T09:00:01Z"}]}`))
	if err != nil || len(recs) != 2 || recs[1].Fields["eventName"] != "B" || recs[1].Time.Second() != 1 {
		t.Fatalf("%v %+v", err, recs)
	}
	for _, bad := range []string{`[]`, `{"Records":[{"x":1}]}`, `{"Records":`} {
		if _, err := Records([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if !Looks([]byte(`{"Records":[]}`)) || Looks([]byte(`{"a":1}`)) {
		t.Error("Looks")
	}
}
