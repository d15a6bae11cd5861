#!/usr/bin/env bash
# Host agent benchmark (docs/agent.md). Three measurements, each with a
# fresh server data folder and agent state:
#   server   — file → agent → real `yagura serve` → DuckDB: LINES lines of
#              200 bytes written before the agent starts; time until the
#              server has acknowledged all (durable), as MB/s of lines.
#   agent    — the same file with the server unreachable: what the agent
#              alone reads, batches, compresses and fsyncs into its disk
#              buffer per second (its own ceiling).
#   steady   — 10,000 lines/s appended for DURATION seconds with the server
#              up: the agent's peak RSS (VmHWM) and CPU.
# Usage: bench/agent.sh [LINES] [DURATION]   (defaults: 1000000 30)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
duration=${2:-30}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/yagura" ./cmd/yagura
CGO_ENABLED=0 go build -o "$work/yagura-agent" ./cmd/yagura-agent

# gen N FILE: N lines of exactly 200 bytes (199 + newline).
gen() {
  python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    pad = "x" * 160
    for i in range(n):
        f.write("2026-11-23T10:00:00Z host-%04d app[%06d]: bench line %010d %s\n" % (i % 1000, i % 999999, i, pad[: 199 - 65]))
PY
}

metric() { # metric ADDR NAME
  curl -fs "http://$1/metrics" 2>/dev/null | awk -v n="$2" '$1==n {print $2}'
}
cpu_seconds() { # utime+stime of PID in seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"
}
hwm_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

server() { # server LABEL → sets port, spid
  local data="$work/data-$1"
  port=$(( 18000 + RANDOM % 2000 ))
  enroll=$("$work/yagura" token create --data "$data" --role enroll --ttl 1h)
  "$work/yagura" serve --data "$data" --http "127.0.0.1:$port" --syslog off 2>"$work/$1-server.log" &
  spid=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
}

agent_state() { # agent_state LABEL GLOB METRICS → enrolls against $port, writes agent.json
  local state="$work/agent-$1"
  "$work/yagura-agent" enroll --server "http://127.0.0.1:$port" --token "$enroll" --state "$state" >/dev/null
  printf '{"files":[{"glob":"%s"}],"metrics_addr":"%s","buffer_max_bytes":4294967296,"poll_millis":100}\n' "$2" "$3" >"$state/agent.json"
}

wait_metric() { # wait_metric ADDR NAME VALUE
  until [ "$(metric "$1" "$2" || echo 0)" = "$3" ]; do sleep 0.05; done
}

report_rate() { # label seconds bytes lines agent_cpu agent_rss server_cpu
  python3 -c "import sys,os; s=float(sys.argv[2]); a=float(sys.argv[5]); sc=float(sys.argv[7]); print('{\"run\":\"%s\",\"lines\":%s,\"seconds\":%.2f,\"mb_per_s\":%.1f,\"lines_per_s\":%.0f,\"agent_cpu_s\":%.2f,\"agent_mb_per_cpu_s\":%.0f,\"agent_peak_rss_mb\":%s,\"server_cpu_s\":%.1f,\"load_avg_1m\":%.1f}' % (sys.argv[1], sys.argv[4], s, int(sys.argv[3])/s/1e6, int(sys.argv[4])/s, a, int(sys.argv[3])/a/1e6, sys.argv[6], sc, os.getloadavg()[0]))" "$@"
}

mkdir -p "$work/logs-server" "$work/logs-agent" "$work/logs-steady"
gen "$lines" "$work/logs-server/app.log"
cp "$work/logs-server/app.log" "$work/logs-agent/app.log"
bytes=$(stat -c %s "$work/logs-server/app.log")

# 1. file → server
server srv
maddr="127.0.0.1:$(( 20000 + RANDOM % 2000 ))"
agent_state srv "$work/logs-server/*.log" "$maddr"
t0=$(date +%s.%N)
"$work/yagura-agent" run --state "$work/agent-srv" 2>"$work/srv-agent.log" &
apid=$!
for _ in $(seq 100); do metric "$maddr" yagura_agent_records_total >/dev/null && break; sleep 0.05; done
wait_metric "$maddr" yagura_agent_records_sent_total "$lines"
t1=$(date +%s.%N)
report_rate server "$(echo "$t1 - $t0" | bc)" "$bytes" "$lines" "$(cpu_seconds $apid)" "$(hwm_mb $apid)" "$(cpu_seconds $spid)"
kill -TERM "$apid" "$spid"; wait "$apid" "$spid" || true

# 2. agent alone (server unreachable: it was stopped after enrollment)
server agt
maddr="127.0.0.1:$(( 22000 + RANDOM % 2000 ))"
agent_state agt "$work/logs-agent/*.log" "$maddr"
kill -TERM "$spid"; wait "$spid" || true
t0=$(date +%s.%N)
"$work/yagura-agent" run --state "$work/agent-agt" 2>"$work/agt-agent.log" &
apid=$!
for _ in $(seq 100); do metric "$maddr" yagura_agent_records_total >/dev/null && break; sleep 0.05; done
wait_metric "$maddr" yagura_agent_records_total "$lines"
t1=$(date +%s.%N)
report_rate agent-to-disk-buffer "$(echo "$t1 - $t0" | bc)" "$bytes" "$lines" "$(cpu_seconds $apid)" "$(hwm_mb $apid)" 0
kill -TERM "$apid"; wait "$apid" || true

# 3. steady 10,000 lines/s
server std
maddr="127.0.0.1:$(( 24000 + RANDOM % 2000 ))"
agent_state std "$work/logs-steady/*.log" "$maddr"
"$work/yagura-agent" run --state "$work/agent-std" 2>"$work/std-agent.log" &
apid=$!
for _ in $(seq 100); do metric "$maddr" yagura_agent_records_total >/dev/null && break; sleep 0.05; done
c0=$(cpu_seconds $apid)
python3 - "$work/logs-steady/app.log" "$duration" <<'PY'
import sys, time
path, secs = sys.argv[1], int(sys.argv[2])
pad = "x" * 134
start = time.monotonic()
i = 0
with open(path, "a", buffering=1 << 20) as f:
    for tick in range(secs * 10):  # 1,000 lines every 100 ms
        for _ in range(1000):
            f.write("2026-11-23T10:00:00Z host-%04d app[%06d]: bench line %010d %s\n" % (i % 1000, i % 999999, i, pad))
            i += 1
        f.flush()
        time.sleep(max(0, start + (tick + 1) * 0.1 - time.monotonic()))
PY
c1=$(cpu_seconds $apid)
wait_metric "$maddr" yagura_agent_records_sent_total "$(( duration * 10000 ))"
python3 -c "import sys; print('{\"run\":\"steady-10k-lines-per-s\",\"seconds\":%s,\"agent_cpu_percent\":%.1f,\"agent_peak_rss_mb\":%s}' % (sys.argv[1], (float(sys.argv[3])-float(sys.argv[2]))/int(sys.argv[1])*100, sys.argv[4]))" "$duration" "$c0" "$c1" "$(hwm_mb $apid)"
kill -TERM "$apid" "$spid"; wait "$apid" "$spid" || true
