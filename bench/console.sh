#!/usr/bin/env bash
# Console page-render benchmark: 100,000 cases and 1,000,000 alerts in the
# embedded state store; every console page rendered server-side (session,
# store reads, template) through the console's handler; prints p50 and p95
# per page and the time of the overview's background snapshot. Loading the
# data takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
YAGURA_BENCH_CASES=${YAGURA_BENCH_CASES:-100000} YAGURA_BENCH_ALERTS=${YAGURA_BENCH_ALERTS:-1000000} \
  go test -run XXX -bench BenchmarkPageRender -benchtime "${YAGURA_BENCH_RENDERS:-480}x" -timeout 90m ./internal/web/
