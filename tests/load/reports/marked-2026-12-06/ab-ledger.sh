#!/usr/bin/env bash
# The runs of this report: server builds in turn, each with a fresh SQLite
# ledger in a temporary directory, pinned to core 0, the lean client
# (tests/load/loadgen.rs) on core 1, builds alternating within each round.
# Evaluate JSON, 50 concurrent, 5 s; with BATCHES=1 then batch-1000, one at a
# time, 5 s; with STREAM=N then one StreamEvaluate of N items. The client sends the same request each call, so after the first
# the ledger answers it already recorded (found by its input, nothing
# written). Needs loadgen and the request files in target/ (built by
# tests/load/instructions or tests/load/run).
#
#   ab-ledger.sh NAME=BINARY...      ROUNDS rounds (5)
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
LOADGEN=target/release/examples/loadgen
EVALUATE=verdict.v1.DecisionService/Evaluate
BATCH=verdict.v1.DecisionService/BatchEvaluate
LOG=$(mktemp)
rounds=${ROUNDS:-5}
for round in $(seq 1 $rounds); do
  for build in "$@"; do
    name=${build%%=*}
    dir=$(mktemp -d)
    start_server "$LOG" taskset -c 0 "${build#*=}" serve --ledger "sqlite:$dir/ledger.sqlite" --listen 127.0.0.1:0
    taskset -c 1 $LOADGEN unary "$address" "$EVALUATE" target/load/request-evaluate-json.json 1 1 >/dev/null
    echo "round=$round build=$name call=evaluate-json-sqlite $(taskset -c 1 $LOADGEN unary "$address" "$EVALUATE" target/load/request-evaluate-json.json 5 50 "$server")"
    if [ -n "${BATCHES:-}" ]; then
      echo "round=$round build=$name call=batch-1000-sqlite $(taskset -c 1 $LOADGEN unary "$address" "$BATCH" target/load/request-batch-1000.json 5 1 "$server")"
    fi
    if [ -n "${STREAM:-}" ]; then
      echo "round=$round build=$name call=stream-sqlite $(taskset -c 1 $LOADGEN stream "$address" target/load/request-stream-item.json "$STREAM" "$server")"
    fi
    kill "$server"; wait "$server" 2>/dev/null
    rm -rf "$dir"
  done
done
rm -f "$LOG"
