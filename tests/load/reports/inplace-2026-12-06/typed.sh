#!/usr/bin/env bash
# Typed Evaluate alone, builds alternating within each round: each server
# pinned to core 0, the lean client (tests/load/loadgen.rs) to core 1, the
# no-op then Evaluate with request-evaluate-typed.json, 50 concurrent, 5 s
# each; ROUNDS rounds (9). Needs loadgen and the request files in target/
# (built by tests/load/instructions or tests/load/run).
#
#   typed.sh NAME=BINARY...
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
LOADGEN=target/release/examples/loadgen
TYPED=target/load/request-evaluate-typed.json
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for round in $(seq 1 "${ROUNDS:-9}"); do
  for build in "$@"; do
    name=${build%%=*}
    start_server "$LOG" taskset -c 0 "${build#*=}" serve --ledger none --loadtest-baseline --listen 127.0.0.1:0
    taskset -c 1 "$LOADGEN" unary "$address" verdict.v1.DecisionService/Evaluate "$TYPED" 1 1 >/dev/null
    for call in noop-typed:verdict.loadtest.v1.BaselineService/Noop evaluate-typed:verdict.v1.DecisionService/Evaluate; do
      echo "round=$round build=$name call=${call%%:*} $(taskset -c 1 "$LOADGEN" unary "$address" "${call#*:}" "$TYPED" 5 50 "$server")"
    done
    kill "$server"; wait "$server" 2>/dev/null || true
  done
done
