#!/usr/bin/env bash
# GetDecision of many distinct recorded decisions: a ledger of N (3000)
# Evaluates with unique workflow ids is written by the first build, then for
# ROUNDS (3) rounds each build serves a copy of it, pinned to core 0, while ghz
# (core 1, concurrency 20, one connection) asks GetDecision for each decision
# in turn (a data array, round robin); 2 s warm-up, 8 s measured, server CPU
# from /proc. Needs target/load/ (tests/load/run) and the ghz it installs.
#   get-decision.sh NAME=BINARY...
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
GHZ=target/ci-tools/ghz-v0.120.0/ghz
base=$(mktemp -d)
start_server $base/log "${1#*=}" serve --ledger "sqlite:$base/ledger.sqlite" --listen 127.0.0.1:0
$GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file target/load/request-evaluate-json-unique.json -n ${N:-3000} -c 20 "$address" >/dev/null
kill $server; wait $server 2>/dev/null
sqlite3 $base/ledger.sqlite "select decision_id from decisions" | python3 -c "import sys,json; print(json.dumps([{'decisionId': l.strip()} for l in sys.stdin if l.strip()]))" > $base/ids.json
echo "ids: $(python3 -c "import json; print(len(json.load(open('$base/ids.json'))))")"
for round in $(seq 1 ${ROUNDS:-3}); do
  for b in "$@"; do
    cp $base/ledger.sqlite $base/run.sqlite; rm -f $base/run.sqlite-*
    start_server $base/log2 taskset -c 0 "${b#*=}" serve --ledger "sqlite:$base/run.sqlite" --listen 127.0.0.1:0
    g() { taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/GetDecision --data-file $base/ids.json --connections 1 --concurrency 20 --duration "$1" --duration-stop wait "$address" "${@:2}"; }
    g 2s >/dev/null
    before=$(awk '{print $14+$15}' /proc/$server/stat)
    res=$(g 8s --format json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['count'], d.get('statusCodeDistribution'))")
    after=$(awk '{print $14+$15}' /proc/$server/stat)
    count=${res%% *}
    echo "round=$round build=${b%%=*} calls=$count codes=${res#* } server_us_per_call=$(python3 -c "print(round(($after-$before)/100*1e6/$count,2))")"
    kill $server; wait $server 2>/dev/null
  done
done
rm -rf "$base"
