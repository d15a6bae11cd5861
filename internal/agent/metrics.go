package agent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// serveMetrics serves the agent's counters in the Prometheus text format,
// so that a full buffer shows on a dashboard as well as in the log and the
// heartbeat.
func (a *Agent) serveMetrics(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		st := a.buf.Stats()
		full := 0
		if st.Full || a.full.Load() {
			full = 1
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP yagura_agent_records_total Records taken into buffered batches.\n# TYPE yagura_agent_records_total counter\nyagura_agent_records_total %d\n", a.lines.Load())
		fmt.Fprintf(w, "# HELP yagura_agent_records_sent_total Records the server acknowledged.\n# TYPE yagura_agent_records_sent_total counter\nyagura_agent_records_sent_total %d\n", a.sent.Load())
		fmt.Fprintf(w, "# HELP yagura_agent_buffer_batches Batches in the disk buffer.\n# TYPE yagura_agent_buffer_batches gauge\nyagura_agent_buffer_batches %d\n", st.Segments)
		fmt.Fprintf(w, "# HELP yagura_agent_buffer_bytes Bytes in the disk buffer.\n# TYPE yagura_agent_buffer_bytes gauge\nyagura_agent_buffer_bytes %d\n", st.Bytes)
		fmt.Fprintf(w, "# HELP yagura_agent_buffer_full 1 while the disk buffer is full.\n# TYPE yagura_agent_buffer_full gauge\nyagura_agent_buffer_full %d\n", full)
		fmt.Fprintf(w, "# HELP yagura_agent_buffer_dropped_total Batches dropped or refused because the buffer was full.\n# TYPE yagura_agent_buffer_dropped_total counter\nyagura_agent_buffer_dropped_total %d\n", st.Dropped)
		fmt.Fprintf(w, "# HELP yagura_agent_errors_total Errors (delivery, inputs, buffer).\n# TYPE yagura_agent_errors_total counter\nyagura_agent_errors_total %d\n", a.errs.Load()+a.inputs.errors())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return nil
}
