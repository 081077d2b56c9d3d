# Sourced by .ci/run, tests/conformance/run, tests/load/run and tests/load/soak.
#
# start_server LOG COMMAND...: runs a `verdict serve` command that listens on
# port 0 in the background, its log in LOG; sets `server` (its pid; `taskset`
# execs, so a pinned server's pid too), `address` (what it logged it serves
# on) and `log`. Exits with the log shown if it has not started in 10 s.
start_server() {
  log=$1
  shift
  "$@" 2>"$log" &
  server=$!
  address=""
  for _ in $(seq 1 100); do
    address=$(sed -n 's/.*serving verdict.v1.DecisionService address=\([0-9.:]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$address" ] && break
    sleep 0.1
  done
  [ -n "$address" ] || { echo "server did not start:"; cat "$log"; kill "$server" 2>/dev/null; exit 1; }
}
