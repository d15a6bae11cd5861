// Command syslogload is the load generator of the syslog benchmark: it
// sends a fixed number of syslog records (RFC 5424 sshd lines and RFC 3164
// firewall lines, octet-counted) over several TCP connections to a running
// `yagura serve`, then watches the server's /metrics until every record is
// stored in the event store. The figure it reports is end to end: from the
// first byte sent to the last record durable in DuckDB. It runs as its own
// process so it does not share the server's CPU accounting or heap;
// bench/syslog.sh drives it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yagura-soc/yagura/bench/internal/procstat"
)

type report struct {
	Label        string  `json:"label"`
	Events       int     `json:"events"`
	Connections  int     `json:"connections"`
	SendSeconds  float64 `json:"send_seconds"`
	StoreSeconds float64 `json:"end_to_end_seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	PeakRSSMB    float64 `json:"server_peak_rss_mb"`
	// The machine may be shared: the server's own CPU time and the load
	// average tell how much of the wall-clock figure is contention.
	ServerCPUSeconds    float64 `json:"server_cpu_seconds"`
	EventsPerServerCPU  float64 `json:"events_per_server_cpu_second"`
	LoadAverageAtStart  string  `json:"loadavg_at_start"`
	LoadAverageAtTheEnd string  `json:"loadavg_at_end"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:5514", "syslog TCP address")
	metricsURL := flag.String("metrics", "http://127.0.0.1:8080/metrics", "the server's metrics URL")
	events := flag.Int("events", 2_000_000, "records to send")
	conns := flag.Int("conns", 4, "concurrent TCP connections")
	pid := flag.Int("server-pid", 0, "server process id, to read its peak RSS")
	label := flag.String("label", "syslog", "label in the report")
	flag.Parse()

	before, err := stored(*metricsURL)
	if err != nil {
		fail("reading the server's metrics: %v", err)
	}
	cpu0, load0 := procstat.CPUSeconds(*pid), loadavg()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *conns)
	per := *events / *conns
	for c := range *conns {
		n := per
		if c == *conns-1 {
			n = *events - per*(*conns-1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := send(*addr, c, n); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	sent := time.Since(start)
	close(errs)
	for err := range errs {
		fail("sending: %v", err)
	}
	// TCP gives no receipt: the server's stored-events counter does.
	deadline := time.Now().Add(10 * time.Minute)
	for {
		n, err := stored(*metricsURL)
		if err == nil && n-before >= float64(*events) {
			break
		}
		if time.Now().After(deadline) {
			fail("only %.0f of %d records stored after 10 minutes", n-before, *events)
		}
		time.Sleep(20 * time.Millisecond)
	}
	total := time.Since(start)
	cpu := procstat.CPUSeconds(*pid) - cpu0
	r := report{Label: *label, Events: *events, Connections: *conns, SendSeconds: sent.Seconds(),
		StoreSeconds: total.Seconds(), EventsPerSec: float64(*events) / total.Seconds(), PeakRSSMB: procstat.PeakRSSMB(*pid),
		ServerCPUSeconds: cpu, LoadAverageAtStart: load0, LoadAverageAtTheEnd: loadavg()}
	if cpu > 0 {
		r.EventsPerServerCPU = float64(*events) / cpu
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// send writes n records on one connection, octet-counted.
func send(addr string, conn, n int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	w := bufio.NewWriterSize(c, 256<<10)
	var rec []byte
	base := time.Now().UTC()
	for i := range n {
		rec = record(rec[:0], conn, i, base.Add(time.Duration(i)*time.Microsecond))
		w.WriteString(strconv.Itoa(len(rec)))
		w.WriteByte(' ')
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// Half-close and wait for the server to close: every byte was read.
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, c)
	return nil
}

// record is one realistic line: even numbers an RFC 5424 sshd failure,
// odd numbers an RFC 3164 iptables-style firewall line.
func record(b []byte, conn, i int, t time.Time) []byte {
	if i%2 == 0 {
		b = append(b, "<38>1 "...)
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
		b = fmt.Appendf(b, " web-%02d sshd %d - - Failed password for user%d from 10.%d.%d.%d port %d ssh2",
			i%40, 1000+conn, i%500, conn, (i>>8)&255, i&255, 1024+i%60000)
		return b
	}
	b = append(b, "<86>"...)
	b = t.AppendFormat(b, time.Stamp)
	b = fmt.Appendf(b, " fw-%d kernel: IN=eth0 OUT=eth1 SRC=192.168.%d.%d DST=203.0.113.%d LEN=60 PROTO=TCP SPT=%d DPT=%d",
		conn, (i>>8)&255, i&255, i%250, 1024+i%60000, []int{22, 80, 443, 3389, 445}[i%5])
	return b
}

// stored reads yagura_events_processed_total{stage="stored"}.
func stored(url string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		s := string(line)
		if strings.HasPrefix(s, `yagura_events_processed_total{stage="stored"} `) {
			return strconv.ParseFloat(strings.TrimSpace(s[strings.LastIndexByte(s, ' ')+1:]), 64)
		}
	}
	return 0, nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "syslogload: "+format+"\n", a...)
	os.Exit(1)
}
