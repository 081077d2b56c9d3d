#!/usr/bin/env bash
# latency.sh BINARY CONCURRENCY: p50/p99 latency and calls/s of unique-id Evaluates, SQLite, server pinned to core 0, ghz core 1, 5 s
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
GHZ=target/ci-tools/ghz-v0.120.0/ghz
dir=$(mktemp -d)
start_server $dir/log taskset -c 0 "$1" serve --ledger "sqlite:$dir/ledger.sqlite" --listen 127.0.0.1:0
taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file target/load/request-evaluate-json-unique.json --connections 1 --concurrency $2 --duration 5s --duration-stop wait --disable-template-functions "$address" --format json | python3 -c "
import json,sys; d=json.load(sys.stdin); l={x['percentage']:x['latency']/1e6 for x in d['latencyDistribution']}
print('c=$2 rps',round(d['rps']),'p50_ms',round(l[50],2),'p99_ms',round(l[99],2))"
kill $server; wait $server 2>/dev/null; rm -rf $dir
