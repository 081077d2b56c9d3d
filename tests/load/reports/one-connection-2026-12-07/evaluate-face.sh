#!/usr/bin/env bash
# Evaluate of a repeated face whose found workflows are in the ledger (the
# load test's evaluate-face-sqlite): for ROUNDS (5) rounds each build serves
# a fresh SQLite ledger, pinned to core 0; the face's found workflows are
# recorded once, then ghz (core 1, concurrency 50, one connection) sends
# unique-id Evaluates that look them up and are decided again with them
# (every call a new record); 2 s warm-up, 8 s measured, server CPU from
# /proc. Needs target/load/ (tests/load/run) and the ghz it installs.
#   evaluate-face.sh NAME=BINARY...
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
GHZ=target/ci-tools/ghz-v0.120.0/ghz
base=$(mktemp -d)
for round in $(seq 1 ${ROUNDS:-5}); do
  for b in "$@"; do
    rm -f $base/run.sqlite*
    start_server $base/log taskset -c 0 "${b#*=}" serve --ledger "sqlite:$base/run.sqlite" --listen 127.0.0.1:0
    for seed in target/load/request-face-seed-*.json; do
      taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file "$seed" --total 1 \
        --disable-template-data --disable-template-functions "$address" >/dev/null
    done
    g() { taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file target/load/request-evaluate-face-unique.json --disable-template-functions --connections 1 --concurrency 50 --duration "$1" --duration-stop wait "$address" "${@:2}"; }
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
