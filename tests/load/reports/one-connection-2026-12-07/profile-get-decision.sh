#!/usr/bin/env bash
# A perf profile of GetDecision: 3,000 unique-id Evaluates recorded, then
# BINARY pinned to core 0 serves GetDecision of each in turn to ghz on core 1
# (concurrency 20) for 12 s, perf recording 6 s into target/load/perf-get.data.
#   profile-get-decision.sh BINARY    (needs target/load/, ghz and sqlite3)
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
GHZ=target/ci-tools/ghz-v0.120.0/ghz
base=$(mktemp -d)
start_server $base/log "$1" serve --ledger "sqlite:$base/ledger.sqlite" --listen 127.0.0.1:0
$GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file target/load/request-evaluate-json-unique.json -n 3000 -c 20 "$address" >/dev/null
kill $server; wait $server 2>/dev/null
sqlite3 $base/ledger.sqlite "select decision_id from decisions" | python3 -c "import sys,json; print(json.dumps([{'decisionId': l.strip()} for l in sys.stdin if l.strip()]))" > $base/ids.json
start_server $base/log2 taskset -c 0 "$1" serve --ledger "sqlite:$base/ledger.sqlite" --listen 127.0.0.1:0
taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/GetDecision --data-file $base/ids.json --connections 1 --concurrency 20 --duration 12s --duration-stop wait "$address" > /dev/null &
g=$!
sleep 3
perf record -e cpu-clock -F 999 -g -p $server -o target/load/perf-get.data -- sleep 6 2>/dev/null
wait $g
kill $server; wait $server 2>/dev/null; rm -rf $base
