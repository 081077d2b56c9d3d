#!/usr/bin/env bash
# count.sh BINARY: one 6 s run of ghz's unique-id Evaluate (concurrency 50, one
# connection) against BINARY pinned to core 0 with a fresh SQLite ledger, ghz on
# core 1. Prints calls, and per call: bytes the server sent to storage
# (/proc/PID/io write_bytes) and wrote in all (wchar, sockets too), context
# switches of all its threads, server CPU; then the ledger's commit metrics.
#   REQUEST: another request file (/tmp/req-pass-unique.json in ledger-cost.txt:
#   fixture 01 with a {{.UUID}} workflow id, an APPROVE that reads nothing);
#   LEDGER=none: no ledger.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
GHZ=target/ci-tools/ghz-v0.120.0/ghz
REQUEST=${REQUEST:-target/load/request-evaluate-json-unique.json}
LOG=$(mktemp); dir=$(mktemp -d); out=$(mktemp)
start_server "$LOG" taskset -c 0 "$1" serve --ledger "${LEDGER:-sqlite:$dir/ledger.sqlite}" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:19464
before=$(awk '{print $14+$15}' /proc/$server/stat)
w0=$(awk '/^wchar/{print $2}' /proc/$server/io); d0=$(awk '/^write_bytes/{print $2}' /proc/$server/io)
cs0=$(cat /proc/$server/task/*/status | awk '/ctxt_switches/{s+=$2} END{print s}')
taskset -c 1 $GHZ --insecure --call verdict.v1.DecisionService/Evaluate --data-file "$REQUEST" --connections 1 --concurrency 50 --duration 6s --duration-stop wait --disable-template-functions "$address" --format json | python3 -c "import json,sys; d=json.load(sys.stdin); print('count',d['count'],'rps',round(d['rps']))" | tee $out
after=$(awk '{print $14+$15}' /proc/$server/stat)
w1=$(awk '/^wchar/{print $2}' /proc/$server/io); d1=$(awk '/^write_bytes/{print $2}' /proc/$server/io); echo disk_bytes_per_call=$(( (d1-d0)/$(awk '{print $2}' $out) ))
echo wbytes_per_call=$(( (w1-w0)/$(awk '{print $2}' $out) ))
cs1=$(cat /proc/$server/task/*/status | awk '/ctxt_switches/{s+=$2} END{print s}')
echo switches_per_call=$(python3 -c "print(round(($cs1-$cs0)/$(awk '{print $2}' $out),2))")
echo "server_us_per_call=$(python3 -c "print(round(($after-$before)/$(getconf CLK_TCK)*1e6/$(awk '{print $2}' $out),1))")"
curl -s 127.0.0.1:19464/metrics | grep -E "ledger_commit|evidence|lookup" | grep -v "^#" | head -30
kill $server; wait $server 2>/dev/null; rm -rf $dir $LOG $out
