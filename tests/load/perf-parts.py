#!/usr/bin/env python3
"""Where the server's CPU goes, by part, from `perf script` output.

    perf record -e cpu-clock -F 999 --call-graph dwarf,16384 -o P.data -p PID -- sleep 3
    perf script -i P.data --no-demangle > P.txt
    tests/load/perf-parts.py P.txt US_PER_CALL

Each sample goes to the first of the server's own parts below (WORK, in
this order) that names any frame of its stack; failing that, to the layer
(LAYERS) of the frame nearest its leaf. US_PER_CALL (the server's CPU per
call or per decision, from loadgen's line) turns shares into microseconds.
Prints a markdown table. The parts are the ones tests/load/README.md
discusses; a sample that matches none is "other".
"""

import collections
import sys

# (part, substrings of a frame's (mangled) symbol). The server's own work
# first, then the kernel: a sample goes to the first of these that names any
# frame of its stack, so a parse called under hyper's poll counts as parse.
WORK = [
    ("parse JSON (verdict_core::json)", ["parse_workflow_json"]),
    ("evaluate (verdict_core)", ["12verdict_core"]),
    ("encode the answer (decision_wire)", ["decision_wire"]),
    ("UTF-8 check of workflow_json", ["from_utf8", "run_utf8_validation"]),
    ("copy of the body into tonic's buffer", ["BufMut$GT$3put", "StreamingInner10poll_frame"]),
    ("send: writev (kernel)", ["writev"]),
    ("receive: socket reads (kernel)", ["recvfrom", "ksys_read", "tcp_recvmsg"]),
    ("wait and wake (kernel)", ["epoll_wait", "futex_wait", "futex_wake", "__schedule"]),
    ("decode the request (prost, wire check)", ["prost8encoding", "evaluate_request", "11verdict_api5codec", "tonic5codec6decode"]),
    ("tracing, metrics, request id", ["7tracing4span", "tracing_core", "tracing_subscriber", "7metrics", "metrics_exporter", "10request_id", "8envelope"]),
]

# The layers around it. A request's own future is polled under hyper's
# (and every task under tokio's), so a sample goes to the layer of the frame
# nearest its leaf: a copy made by verdict's routing is routing, one made by
# h2's stream queues is h2.
LAYERS = [
    ("h2 and hyper (framing, streams)", ["h25proto", "h25codec", "h25hpack", "hyper"]),
    ("tonic, tower, verdict's routing", ["tonic", "tower", "verdict_server", "axum"]),
    ("tokio", ["tokio"]),
]


def part_of(frames):
    """`frames`: a sample's stack, leaf first (as `perf script` prints it)."""
    for part, keys in WORK:
        if any(key in frame for frame in frames for key in keys):
            return part
    for frame in frames:
        for part, keys in LAYERS:
            if any(key in frame for key in keys):
                return part
    return "other"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, us_per_call = sys.argv[1], float(sys.argv[2])
    counts = collections.Counter()
    samples = 0
    with open(path, encoding="utf-8", errors="replace") as script:
        for sample in script.read().split("\n\n"):
            frames = [line.strip() for line in sample.strip().splitlines()[1:] if line.strip()]
            if frames:
                samples += 1
                counts[part_of(frames)] += 1
    if not samples:
        sys.exit(f"no samples in {path}")
    print(f"| part | µs per call | share |\n|---|---:|---:|")
    for part, count in counts.most_common():
        share = count / samples
        print(f"| {part} | {share * us_per_call:.1f} | {100 * share:.0f} % |")
    print(f"| all ({samples} samples) | {us_per_call:.1f} | 100 % |")


if __name__ == "__main__":
    main()
