package jsonlog

import "testing"

func BenchmarkParse(b *testing.B) {
	line := []byte(`{"@timestamp":"2026-11-02T09:00:00.123Z","level":"info","service":"checkout","host":{"name":"app-01.corp.example"},"source":{"ip":"10.1.2.3","port":51234},"http":{"request":{"method":"POST"},"response":{"status_code":200}},"url":{"path":"/api/v1/cart"},"user":{"name":"alice"},"message":"request served","duration_ms":12.5}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Parser{}).Parse(line); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
