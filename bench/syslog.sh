#!/usr/bin/env bash
# Syslog benchmark: syslog over TCP (octet counting) → pipeline → DuckDB,
# end to end, driven by a separate load-generator process (bench/syslogload)
# that counts a run as done only when the server's stored-events counter
# has every record. Two runs on fresh data folders:
#   baseline  — detection off (frame + parse + normalize + store)
#   detection — the built-in Sigma pack wired in, as `yagura serve` runs
# Prints one JSON report per run. Usage: bench/syslog.sh [EVENTS] [CONNS]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-2000000}
conns=${2:-4}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/yagura" ./cmd/yagura
go build -o "$work/syslogload" ./bench/syslogload

run() { # label builtin
  local label=$1 builtin=$2 data="$work/data-$1" port sport
  port=$(( 18000 + RANDOM % 2000 ))
  sport=$(( 20000 + RANDOM % 2000 ))
  printf 'detection:\n  builtin: %s\n' "$builtin" > "$work/$label.yaml"
  "$work/yagura" serve --config "$work/$label.yaml" --data "$data" --http "127.0.0.1:$port" \
    --syslog "127.0.0.1:$sport" 2>"$work/$label.log" &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  "$work/syslogload" --addr "127.0.0.1:$sport" --metrics "http://127.0.0.1:$port/metrics" \
    --events "$events" --conns "$conns" --server-pid "$pid" --label "$label"
  kill -TERM "$pid"; wait "$pid" || true
}

run baseline false
run detection true
