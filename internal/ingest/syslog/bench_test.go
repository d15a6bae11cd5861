package syslog

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/ingest/ingesttest"
	"github.com/yagura-soc/yagura/internal/metrics"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/pipeline"
)

// BenchmarkTCPToDuckDB measures syslog over TCP into the DuckDB store in
// one process, with the real normalizer, for CPU profiles
// (go test -run X -bench TCPToDuckDB -cpuprofile cpu.out). The figure to
// report is bench/syslog.sh's, with the load generator in its own process.
func BenchmarkTCPToDuckDB(b *testing.B) {
	env := ingesttest.New(b, ingesttest.Options{})
	m := metrics.New()
	p := pipeline.New(pipeline.Config{QueueBatches: 64, MaxWriteEvents: 20000}, env.Events, env.State, normalize.Event, nil, m, env.Log)
	src := New(Config{Addr: "127.0.0.1:0", Tenant: "default"}, p, m, env.Log)
	stop := ingesttest.Start(b, src)
	b.ResetTimer()
	c, err := net.Dial("tcp", src.Addr())
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(c, 256<<10)
	for i := range b.N {
		var rec string
		if i%2 == 0 {
			rec = fmt.Sprintf("<38>1 2026-11-23T08:00:00.%06dZ web-%02d sshd 1000 - - Failed password for user%d from 10.0.%d.%d port %d ssh2",
				i%1000000, i%40, i%500, (i>>8)&255, i&255, 1024+i%60000)
		} else {
			rec = fmt.Sprintf("<86>Nov 23 08:00:00 fw-1 kernel: IN=eth0 OUT=eth1 SRC=192.168.%d.%d DST=203.0.113.%d LEN=60 PROTO=TCP SPT=%d DPT=443",
				(i>>8)&255, i&255, i%250, 1024+i%60000)
		}
		fmt.Fprintf(w, "%d %s", len(rec), rec)
	}
	w.Flush()
	c.Close()
	// Plain TCP has no receipt: wait until everything is stored, as the
	// server would keep running.
	for env.Count(b, "default") < b.N {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	stop()
	p.Close(context.Background())
	if n := env.Count(b, "default"); n != b.N {
		b.Fatalf("stored %d of %d", n, b.N)
	}
}
