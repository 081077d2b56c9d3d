# The recheck of evaluate-face-sqlite: server builds in turn, each with a fresh
# SQLite ledger, pinned to core 0, ghz on core 1 (as tests/load/run's ledger
# phase: the two found workflows seeded, then unique workflow ids by ghz's
# template data, 50 concurrent, 2 s warm-up, 8 s measured); server CPU per
# request from /proc. Three rounds, builds alternating.
#   ab-face.sh NAME=BINARY...
set -u
cd "$(dirname "$0")/../../../.."
source .ci/start-server.sh
G=target/ci-tools/ghz-v0.120.0/ghz
EV=verdict.v1.DecisionService/Evaluate
for round in 1 2 3; do
  for pair in "$@"; do
    name=${pair%%=*}; bin=${pair#*=}
    dir=$(mktemp -d)
    start_server /tmp/face.log taskset -c 0 $bin serve --ledger sqlite:$dir/l.sqlite --listen 127.0.0.1:0 --max-in-flight 5000 --max-queue-delay-ms 0
    for seed in target/load/request-face-seed-*.json; do
      taskset -c 1 $G --insecure --call $EV --data-file $seed --total 1 --disable-template-data --disable-template-functions $address >/dev/null
    done
    taskset -c 1 $G --insecure --call $EV --data-file target/load/request-evaluate-face-unique.json --connections 1 -c 50 -z 2s --disable-template-functions $address >/dev/null
    read u0 s0 < <(awk '{print $14, $15}' /proc/$server/stat)
    out=$(taskset -c 1 $G --insecure --call $EV --data-file target/load/request-evaluate-face-unique.json --connections 1 -c 50 -z 8s --duration-stop wait --disable-template-functions $address)
    read u1 s1 < <(awk '{print $14, $15}' /proc/$server/stat)
    count=$(echo "$out" | awk '/Count:/{print $2}')
    errs=$(echo "$out" | grep -c "Error distribution")
    echo "round=$round build=$name count=$count errors_section=$errs server_us_per_req=$(( (u1-u0+s1-s0) * 10000 / count ))"
    kill $server; wait $server 2>/dev/null; rm -rf $dir
  done
done
