#!/usr/bin/env bash
# Ingest benchmark: POST /api/v1/events → pipeline → DuckDB, driven by a
# separate load-generator process (bench/ingestload) replaying demo traffic.
# Runs on fresh data folders, in the same invocation (the full demo mix,
# 708 bytes per record on average, 48 % of them Windows JSON, unless said):
#   baseline  — detection off (parse + normalize + store only)
#   detection — the built-in Sigma pack wired in, as `yagura serve` runs
#   lines     — detection on, only the line-shaped sources (Linux syslog,
#               auditd, web access: 205 bytes per record on average, the
#               200-byte shape of the agent benchmark), no Windows JSON
# With RATE, a last run offers RATE events/s with detection on, paced; its
# p50/p99 are the receipt-to-durable (= event-to-alert) latency at that
# sustained rate rather than at saturation, where they only measure the
# queue. Prints one JSON report per run.
# Usage: bench/ingest.sh [DURATION] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30s}
rate=${2:-0}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/yagura" ./cmd/yagura
go build -o "$work/ingestload" ./bench/ingestload

run() { # label builtin [rate [sources]]
  local label=$1 builtin=$2 rate=${3:-0} sources=${4:-} data="$work/data-$1" port
  port=$(( 18000 + RANDOM % 2000 ))
  printf 'detection:\n  builtin: %s\n' "$builtin" > "$work/$label.yaml"
  token=$("$work/yagura" token create --data "$data" --role ingest)
  "$work/yagura" serve --config "$work/$label.yaml" --data "$data" --http "127.0.0.1:$port" --syslog off 2>"$work/$label.log" &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  "$work/ingestload" --url "http://127.0.0.1:$port" --token "$token" --duration "$duration" \
    --server-pid "$pid" --label "$label" --rate "$rate" --sources "$sources"
  kill -TERM "$pid"; wait "$pid" || true
}

run baseline false
run detection true
run lines true 0 syslog,auditd,web
if [ "$rate" != 0 ]; then
  run "detection-at-$rate" true "$rate"
fi
