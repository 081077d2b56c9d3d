#!/usr/bin/env bash
# The runs of this report: server builds in turn, each server pinned to core
# 0 and the lean client (tests/load/loadgen.rs) to core 1, builds alternating
# within each round. Needs loadgen and the request files in target/ (built by
# tests/load/instructions or tests/load/run).
#
#   pinned.sh evaluate NAME=BINARY...      the no-op and Evaluate, JSON and typed,
#                                          50 concurrent, 5 s each, then a stream of
#                                          300,000 items; ROUNDS rounds (5)
#   pinned.sh shadow-batch NAME=BINARY...  batch-1000 one at a time, 5 s, with the
#                                          shadow policy of tests/load/run's shadow
#                                          phase; ROUNDS rounds (4)
#   pinned.sh syscalls NAME=BINARY...      the server's write, writev and sendto
#                                          calls (perf stat) over 3 s of Evaluate,
#                                          50 concurrent, then of batch-1000, one
#                                          at a time
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
mode=${1:?usage: pinned.sh evaluate|shadow-batch|syscalls NAME=BINARY...}
shift
LOADGEN=target/release/examples/loadgen
EVALUATE=verdict.v1.DecisionService/Evaluate
BATCH=verdict.v1.DecisionService/BatchEvaluate
NOOP=verdict.loadtest.v1.BaselineService/Noop
JSON=target/load/request-evaluate-json.json
TYPED=target/load/request-evaluate-typed.json
ITEM=target/load/request-stream-item.json
BATCH_1000=target/load/request-batch-1000.json
LOG=$(mktemp)
trap 'rm -f "$LOG" "$LOG.perf"' EXIT

# serve BINARY ARGS...: a pinned server on a free port, warmed with one call.
serve() {
  start_server "$LOG" taskset -c 0 "$@" --listen 127.0.0.1:0
  taskset -c 1 "$LOADGEN" unary "$address" "$EVALUATE" "$JSON" 1 1 >/dev/null
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; }
lean() { taskset -c 1 "$LOADGEN" "$@" "$server"; }

case $mode in
evaluate | shadow-batch)
  [ "$mode" = evaluate ] && rounds=${ROUNDS:-5} || rounds=${ROUNDS:-4}
  for round in $(seq 1 "$rounds"); do
    for build in "$@"; do
      name=${build%%=*}
      if [ "$mode" = evaluate ]; then
        serve "${build#*=}" serve --ledger none --loadtest-baseline
        echo "round=$round build=$name call=noop-json $(lean unary "$address" "$NOOP" "$JSON" 5 50)"
        echo "round=$round build=$name call=evaluate-json $(lean unary "$address" "$EVALUATE" "$JSON" 5 50)"
        echo "round=$round build=$name call=noop-typed $(lean unary "$address" "$NOOP" "$TYPED" 5 50)"
        echo "round=$round build=$name call=evaluate-typed $(lean unary "$address" "$EVALUATE" "$TYPED" 5 50)"
        echo "round=$round build=$name call=stream $(lean stream "$address" "$ITEM" 300000)"
      else
        serve "${build#*=}" serve --ledger none \
          --policy-dir crates/verdict-core/policies/examples --shadow-policy acme-eu
        echo "round=$round build=$name call=batch-1000-shadow $(lean unary "$address" "$BATCH" "$BATCH_1000" 5 1)"
      fi
      stop
    done
  done
  ;;
syscalls)
  for build in "$@"; do
    name=${build%%=*}
    serve "${build#*=}" serve --ledger none
    for call in "evaluate $EVALUATE $JSON 50" "batch $BATCH $BATCH_1000 1"; do
      read -r what method request concurrency <<<"$call"
      perf stat -x, -o "$LOG.perf" -p "$server" \
        -e syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto -- sleep 3 &
      perf=$!
      line=$(lean unary "$address" "$method" "$request" 3 "$concurrency")
      wait "$perf"
      counts=$(grep -v '^#' "$LOG.perf" | grep . | awk -F, '{printf "%s=%s ", $3, $1}')
      echo "build=$name call=$what $(grep -o 'calls=[0-9]*' <<<"$line" | head -n 1) $counts$(grep -o 'server_us_per_decision=[0-9.]*' <<<"$line")"
    done
    stop
  done
  ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac
