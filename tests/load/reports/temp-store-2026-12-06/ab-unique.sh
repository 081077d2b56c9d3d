#!/usr/bin/env bash
# A/B of Evaluate with a new SQLite record per call: server pinned to core 0
# with a fresh ledger, ghz on core 1 sending request-evaluate-json-unique.json
# (a UUIDv4 workflow id per call, ghz template data), concurrency 50, one
# connection; 2 s warm-up, then SECONDS (8) measured; server CPU from /proc.
#   ab-unique.sh NAME=BINARY...     ROUNDS rounds (5); GHZ: the ghz binary;
#   REQUEST: another request file; CALL: the name printed for it
set -uo pipefail
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
REQUEST=${REQUEST:-target/load/request-evaluate-json-unique.json}
# FUNCTIONS=1: ghz template functions on (a request that draws values per call).
functions=(--disable-template-functions)
[ -n "${FUNCTIONS:-}" ] && functions=()
LOG=$(mktemp)
seconds=${SECONDS_EACH:-8}
for round in $(seq 1 "${ROUNDS:-5}"); do
  for build in "$@"; do
    name=${build%%=*}
    dir=$(mktemp -d)
    start_server "$LOG" taskset -c 0 "${build#*=}" serve --ledger "sqlite:$dir/ledger.sqlite" --listen 127.0.0.1:0
    ghz() { taskset -c 1 "$GHZ" --insecure --call verdict.v1.DecisionService/Evaluate --data-file "$REQUEST" \
      --connections 1 --concurrency 50 --duration "$1" --duration-stop wait "${functions[@]}" "$address" "${@:2}"; }
    ghz 2s >/dev/null
    before=$(awk '{print $14+$15}' "/proc/$server/stat")
    count=$(ghz "${seconds}s" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
    after=$(awk '{print $14+$15}' "/proc/$server/stat")
    ticks=$(getconf CLK_TCK)
    echo "round=$round build=$name call=${CALL:-evaluate-json-sqlite-unique} calls=$count decisions_per_s=$((count / seconds)) server_us_per_decision=$(python3 -c "print(round(($after-$before)/$ticks*1e6/$count,2))")"
    kill "$server"; wait "$server" 2>/dev/null
    rm -rf "$dir"
  done
done
rm -f "$LOG"
