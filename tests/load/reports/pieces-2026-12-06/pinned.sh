#!/usr/bin/env bash
# Evaluate (JSON, typed), their no-ops and a stream of 300,000 items; server pinned to core 0,
# loadgen to core 1, 50 concurrent, 5 s each, builds alternating in each round.
cd /work/main
source .ci/start-server.sh
L=target/release/examples/loadgen; E=verdict.v1.DecisionService/Evaluate; N=verdict.loadtest.v1.BaselineService/Noop
J=target/load/request-evaluate-json.json; T=target/load/request-evaluate-typed.json; S=target/load/request-stream-item.json
for round in $(seq 1 ${ROUNDS:-5}); do
  for build in "$@"; do
    name=${build%%=*}; bin=${build#*=}
    start_server /tmp/srv-ab.log taskset -c 0 $bin serve --listen 127.0.0.1:0 --ledger none --loadtest-baseline
    taskset -c 1 $L unary $address $E $J 1 50 >/dev/null
    echo "round=$round build=$name call=noop-json $(taskset -c 1 $L unary $address $N $J 5 50 $server)"
    echo "round=$round build=$name call=evaluate-json $(taskset -c 1 $L unary $address $E $J 5 50 $server)"
    echo "round=$round build=$name call=noop-typed $(taskset -c 1 $L unary $address $N $T 5 50 $server)"
    echo "round=$round build=$name call=evaluate-typed $(taskset -c 1 $L unary $address $E $T 5 50 $server)"
    echo "round=$round build=$name call=stream $(taskset -c 1 $L stream $address $S 300000 $server)"
    kill $server; wait $server 2>/dev/null
  done
done
