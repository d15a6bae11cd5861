#!/usr/bin/env bash
# Hunting benchmark (docs/performance.md, "Hunting"):
#   1. bench/huntgen fills an embedded DuckDB store with EVENTS demo events
#      (default 10,000,000; ~40 min on a shared 2-core machine) unless the
#      file exists;
#   2. bench/huntbench builds the token index for rows that lack it (a store
#      written before the index existed; once), runs filter + stats queries
#      and a rare-token search as the API runs them, printing p50/p95, and
#      with RETRO=1 a Sigma retro-hunt of the built-in pack over every event;
#   3. the KPI benchmark computes a month of KPIs over 1,000,000 alerts.
# Usage: bench/hunt.sh [DB] [RARE_TOKEN]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-bench-data/hunt/events.duckdb}
rare=${2:-}
events=${EVENTS:-10000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/huntgen" ./bench/huntgen
go build -o "$work/huntbench" ./bench/huntbench
if [ ! -f "$db" ]; then
  mkdir -p "$(dirname "$db")"
  time "$work/huntgen" -db "$db" -events "$events"
fi
retro=()
if [ -n "${RETRO:-}" ]; then retro=(-retro); fi
"$work/huntbench" -db "$db" -runs "${RUNS:-5}" -rare "$rare" "${retro[@]}"
go test ./internal/kpi -run XXX -bench Compute1M -benchtime 10x -count 3
