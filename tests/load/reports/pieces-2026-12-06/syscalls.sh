#!/usr/bin/env bash
# write/writev syscalls per call: server pinned core 0, loadgen core 1
cd /work/main
source .ci/start-server.sh
L=target/release/examples/loadgen; E=verdict.v1.DecisionService/Evaluate; B=verdict.v1.DecisionService/BatchEvaluate
for build in "$@"; do
  name=${build%%=*}; bin=${build#*=}
  start_server /tmp/srv-sc.log taskset -c 0 $bin serve --listen 127.0.0.1:0 --ledger none
  taskset -c 1 $L unary $address $E target/load/request-evaluate-json.json 1 50 >/dev/null
  for spec in "evaluate $E target/load/request-evaluate-json.json 50" "batch $B target/load/request-batch-1000.json 1"; do
    set -- $spec
    perf stat -x, -e syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto -p $server -o /tmp/perfsc.txt -- sleep 3 &
    p=$!
    line=$(taskset -c 1 $L unary $address $2 $3 3 $4 $server)
    wait $p
    calls=$(echo "$line" | sed -n 's/.*calls=\([0-9]*\) .*/\1/p' | head -1)
    echo "build=$name call=$1 calls=$calls $(grep -v '^#' /tmp/perfsc.txt | grep . | awk -F, '{printf "%s=%s ", $3, $1}') $(echo "$line" | grep -o 'server_us_per_decision=[0-9.]*')"
  done
  kill $server; wait $server 2>/dev/null
done
