#!/usr/bin/env bash
# Detection benchmark. In one run:
#   1. EVTX parse + normalize, records/s on one core (go test -bench);
#   2. Yagura: the JSON lines of evtx-attack-samples-jsonl looped to
#      EVENTS events through parse, normalize and the whole SigmaHQ set
#      (rules, rules-emerging-threats, rules-threat-hunting) with
#      GOMAXPROCS=1 and 2: events/s, events per CPU-second, peak RSS;
#   3. sigma-go (bench/sigmago, a separate module) on the same replay, one
#      pass over the distinct lines (it is ~100x slower; 1M events would
#      take hours), GOMAXPROCS=1 and 2;
#   4. `yagura scan` over the whole evtx-attack-samples folder (wall time,
#      peak RSS).
# Prints one JSON report per run. Usage: bench/sigma.sh [EVENTS] [DATA]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
data=$(cd "${2:-../shared/data}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sigma="$data/sigma"

go build -o "$work/sigmabench" ./bench/sigmabench
(cd bench/sigmago && go build -o "$work/sigmago" .)
go build -o "$work/yagura" ./cmd/yagura

echo "# EVTX parse + normalize, one core" >&2
YAGURA_SHARED_DATA="$data" GOMAXPROCS=1 go test ./internal/parse/evtx -run XXX -bench ParseNormalize -benchtime 20x |
  grep Benchmark

for procs in 1 2; do
  echo "# yagura, GOMAXPROCS=$procs, $events events" >&2
  GOMAXPROCS=$procs "$work/sigmabench" -data "$data" -events "$events"
done
for procs in 1 2; do
  echo "# sigma-go, GOMAXPROCS=$procs, one pass" >&2
  GOMAXPROCS=$procs "$work/sigmago" -data "$data" -events 1
done

echo "# yagura scan over evtx-attack-samples" >&2
/usr/bin/time -f '{"scan_wall_s": %e, "scan_cpu_s": %U, "scan_sys_s": %S, "scan_peak_rss_mb": %M}' \
  "$work/yagura" scan --rules "$sigma/rules" --rules "$sigma/rules-emerging-threats" \
  --rules "$sigma/rules-threat-hunting" "$data/evtx-attack-samples" >"$work/findings.jsonl" 2>"$work/scan.err"
tail -1 "$work/scan.err" | sed 's/"scan_peak_rss_mb": \([0-9]*\)}/"scan_peak_rss_kb": \1}/'
grep -E '^scanned' "$work/scan.err"
echo "findings: $(wc -l <"$work/findings.jsonl")"
