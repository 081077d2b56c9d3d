#!/usr/bin/env bash
# The runs of this report: server builds in turn, each pinned to core 0 with
# the lean client (tests/load/loadgen.rs) on core 1, builds alternating
# within each round (ROUNDS, 3). Each build: BatchEvaluate of 1 item and of
# 10 items, 8 calls in flight, 5 s each; then a stream of 300,000 items.
# Needs loadgen and the request files in target/ (tests/load/run, or
# `cargo build --release -p verdict-api --example loadgen` and
# `python3 tests/load/loadtest.py requests target/load`).
#
#   small-batches.sh NAME=BINARY...
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
[ $# -gt 0 ] || { sed -n '2,10p' "$0"; exit 2; }
LOADGEN=target/release/examples/loadgen
BATCH=verdict.v1.DecisionService/BatchEvaluate
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for round in $(seq 1 "${ROUNDS:-3}"); do
  for build in "$@"; do
    name=${build%%=*}
    start_server "$LOG" taskset -c 0 "${build#*=}" serve --listen 127.0.0.1:0 \
      --ledger none --max-in-flight 5000 --max-queue-delay-ms 0
    for items in 1 10; do
      request=target/load/request-batch-$items.json
      taskset -c 1 "$LOADGEN" unary "$address" "$BATCH" "$request" 1 8 >/dev/null
      echo "round=$round build=$name call=batch-$items $(taskset -c 1 "$LOADGEN" unary "$address" "$BATCH" "$request" 5 8 "$server")"
    done
    echo "round=$round build=$name call=stream $(taskset -c 1 "$LOADGEN" stream "$address" target/load/request-stream-item.json 300000 "$server")"
    kill "$server"
    wait "$server" 2>/dev/null || true
  done
done
