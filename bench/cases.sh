#!/usr/bin/env bash
# Case listing benchmark: 100,000 cases and 1,000,000 alerts in the embedded
# state store, cases listed and filtered through the HTTP API; prints p50
# and p95 per query shape. Loading the data takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
YAGURA_BENCH_CASES=${YAGURA_BENCH_CASES:-100000} YAGURA_BENCH_ALERTS=${YAGURA_BENCH_ALERTS:-1000000} \
  go test -run XXX -bench BenchmarkCaseListing -benchtime 700x -timeout 60m ./internal/httpapi/
