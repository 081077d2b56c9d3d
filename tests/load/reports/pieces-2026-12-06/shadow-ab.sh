#!/usr/bin/env bash
# batch-1000 with a shadow policy (as tests/load/run's shadow phase), server pinned to core 0,
# loadgen to core 1, one batch at a time, 5 s, builds alternating.
cd /work/main
source .ci/start-server.sh
L=target/release/examples/loadgen; B=verdict.v1.DecisionService/BatchEvaluate; Q=target/load/request-batch-1000.json
for round in $(seq 1 ${ROUNDS:-4}); do
  for build in "$@"; do
    name=${build%%=*}; bin=${build#*=}
    start_server /tmp/srv-sh.log taskset -c 0 $bin serve --listen 127.0.0.1:0 --ledger none --policy-dir crates/verdict-core/policies/examples --shadow-policy acme-eu
    taskset -c 1 $L unary $address $B $Q 1 1 >/dev/null
    echo "round=$round build=$name call=batch-1000-shadow $(taskset -c 1 $L unary $address $B $Q 5 1 $server)"
    kill $server; wait $server 2>/dev/null
  done
done
