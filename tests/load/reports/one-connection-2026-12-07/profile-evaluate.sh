#!/usr/bin/env bash
# A perf profile of unique-id Evaluates (every call a new SQLite record):
# BINARY pinned to core 0 with a fresh ledger, ghz on core 1 (concurrency 50,
# one connection) for 12 s, perf recording 6 s of it into target/load/perf.data.
#   profile-evaluate.sh BINARY    (needs tests/load/run's target/load/ and ghz)
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
GHZ=target/ci-tools/ghz-v0.120.0/ghz
dir=$(mktemp -d)
start_server $dir/log taskset -c 0 "$1" serve --ledger "sqlite:$dir/ledger.sqlite" --listen 127.0.0.1:0
taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file target/load/request-evaluate-json-unique.json --connections 1 --concurrency 50 --duration 12s --duration-stop wait --disable-template-functions "$address" >/dev/null &
g=$!
sleep 3
perf record -e cpu-clock -F 999 -g -p $server -o target/load/perf.data -- sleep 6 2>/dev/null
wait $g
kill $server; wait $server 2>/dev/null; rm -rf $dir
