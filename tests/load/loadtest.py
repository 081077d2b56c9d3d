#!/usr/bin/env python3
"""Helpers for tests/load/run (standard library only).

  loadtest.py requests OUT   writes the ghz request bodies (proto3 JSON) to OUT
  loadtest.py report OUT     reads OUT/*.json ghz reports, OUT/rss-*.txt and
                             OUT/cpu-*.txt, prints a Markdown table, writes
                             OUT/summary.md and trimmed reports to OUT/reports/
"""

import json
import os
import sys
from statistics import median

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")

# The single-request body: PROCESSED, 7 capabilities, 6.9 KB, one root cause
# (usability REJECTED BLURRED) and five cascades, so Evaluate builds six reasons.
SINGLE = "02-usability-rejected-blurred.json"
FACE = "05-imagechecks-warning-repeated-face.json"

# Every fixture a decision can be made from (the callback and legacy Netverify
# bodies are errors by design), cycled to fill the batches.
DECIDABLE = sorted(
    name
    for name in os.listdir(FIXTURES)
    if name.endswith(".json") and "callback" not in name and "netverify" not in name
)


def body(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as file:
        return file.read()


def decision_type(name):
    return "DECISION_TYPE_" + name


def typed(raw):
    """The typed WorkflowResult a client holding this body would send."""
    doc = json.loads(raw)
    capabilities = []
    for name, entries in doc.get("capabilities", {}).items():
        typed_entries = []
        for entry in entries:
            data = entry.get("data", {})
            typed_entry = {
                "id": entry.get("id", ""),
                "decisionType": decision_type(entry["decision"]["type"]),
                "label": entry["decision"].get("details", {}).get("label", ""),
                "credentialCategories": [c.get("category", "") for c in entry.get("credentials", [])],
            }
            if name == "extraction":
                typed_entry["data"] = {
                    "type": data.get("type", ""),
                    "subType": data.get("subType", ""),
                    "issuingCountry": data.get("issuingCountry", ""),
                    "expiryDate": data.get("expiryDate", ""),
                    "dateOfBirth": data.get("dateOfBirth", ""),
                }
            elif name == "watchlistScreening" and "searchResults" in data:
                typed_entry["data"] = {"searchResults": str(data["searchResults"])}
            typed_entries.append(typed_entry)
        capabilities.append({"name": name, "entries": typed_entries})
    workflow = doc["workflow"]
    result = {
        "workflow": {
            "id": workflow.get("id", ""),
            "status": "WORKFLOW_STATUS_" + workflow["status"],
            "definitionKey": str(workflow.get("definitionKey", "")),
        },
        "accountId": doc.get("account", {}).get("id", ""),
        "decision": {
            "type": decision_type(doc["decision"]["type"]),
            "label": doc["decision"].get("details", {}).get("label", ""),
            "riskScore": doc["decision"].get("risk", {}).get("score", 0),
        },
        "capabilities": capabilities,
    }
    if "completedAt" in doc:
        result["completedAt"] = doc["completedAt"]
    return result


def compact(raw):
    """The body without the corpus's indentation, as a JSON API sends it."""
    return json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False)


def batch(size, unique=False, without_spaces=False):
    items = []
    for index in range(size):
        name = DECIDABLE[index % len(DECIDABLE)]
        raw = compact(body(name)) if without_spaces else body(name)
        if unique:
            # The call's UUID with its last four digits replaced by the
            # item's index: unique per item and per call, still a UUID.
            raw = with_workflow_id(raw, "{{slice .UUID 0 32}}" + f"{index:04x}")
        items.append({"id": f"item-{index}", "workflowJson": raw})
    return {"items": items}


def with_workflow_id(raw, workflow_id):
    """The body with its workflow id replaced (every occurrence: the id may
    appear in links too)."""
    old = json.loads(raw)["workflow"]["id"]
    assert old and raw.count(old) >= 1, old
    return raw.replace(old, workflow_id)


def write_requests(out):
    os.makedirs(out, exist_ok=True)
    requests = {
        "evaluate-json": {"workflowJson": body(SINGLE)},
        "evaluate-typed": {"workflow": typed(body(SINGLE))},
        # Small batches, whose fixed cost per call shows: the lean client's
        # tests/load/reports/small-batches-2026-12-07/small-batches.sh.
        "batch-1": batch(1),
        "batch-10": batch(10),
        "batch-100": batch(100),
        "batch-1000": batch(1000),
        # The same bodies without the corpus's indentation (a third of its
        # bytes): tests/load/ab with AB_REQUEST=batch-1000-compact.
        "batch-1000-compact": batch(1000, without_spaces=True),
        # One StreamEvaluate item; ghz sends it --stream-call-count times.
        "stream-item": {"item": {"id": "stream", "workflowJson": body(SINGLE)}},
        # For the ledger scenarios: the ledger answers a workflow it has
        # recorded with the same input and policy from its record, writing
        # nothing, so every request (and every batch item) gets a workflow id
        # of its own from ghz's call template data ({{.UUID}}, a new UUIDv4
        # per call; `slice` is a template builtin, not a function).
        "evaluate-json-unique": {"workflowJson": with_workflow_id(body(SINGLE), "{{.UUID}}")},
        "batch-1000-unique": batch(1000, unique=True),
        # A repeated face whose two found workflows the ledger knows (the
        # face-seed-* requests record them first, for the same account): each
        # decision is made, its workflows looked up, then made again.
        "evaluate-face-unique": {"workflowJson": with_workflow_id(body(FACE), "{{.UUID}}")},
    }
    face = json.loads(body(FACE))
    search = next(
        entry["data"]["faceSearchFindings"]
        for entry in face["capabilities"]["imageChecks"]
        if "faceSearchFindings" in entry.get("data", {})
    )
    for n, found in enumerate(search["findings"]):
        seed = json.loads(body("01-clean-pass-score-0.json"))
        seed["workflow"]["id"] = found
        seed["account"]["id"] = face["account"]["id"]
        requests[f"face-seed-{n}"] = {"workflowJson": json.dumps(seed)}
    for name, request in requests.items():
        path = os.path.join(out, f"request-{name}.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump(request, file)
        print(f"{path}: {os.path.getsize(path)} bytes")


def millis(nanos):
    return f"{nanos / 1e6:.2f}"


def percentile(report, wanted):
    for point in report.get("latencyDistribution") or []:
        if point["percentage"] == wanted:
            return point["latency"]
    return None


def rss_figures(out, scenario):
    """(peak KiB, first KiB, last KiB) of the server's RSS samples during a run."""
    path = os.path.join(out, f"rss-{scenario}.txt")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as file:
        samples = [int(line) for line in file if line.strip()]
    if not samples:
        return None
    return max(samples), samples[0], samples[-1]


def cpu_seconds(out, scenario):
    """(server CPU s, client CPU s) used during a run."""
    path = os.path.join(out, f"cpu-{scenario}.txt")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as file:
        before, after, user, system = (float(field) for field in file.read().split())
    return after - before, user + system


# (scenario, items per request, baseline scenario it is compared with)
SCENARIOS = [
    ("baseline-json", 1, None),
    ("evaluate-json", 1, "baseline-json"),
    ("baseline-typed", 1, None),
    ("evaluate-typed", 1, "baseline-typed"),
    ("soak-evaluate-json", 1, None),
    ("batch-100", 100, None),
    ("batch-1000", 1000, None),
    # The ledger: one server per ledger, pinned, unique workflow ids; each
    # compared with the same scenario against the server without a ledger.
    ("evaluate-json-ledger-off", 1, None),
    ("evaluate-json-sqlite", 1, "evaluate-json-ledger-off"),
    ("evaluate-json-postgres", 1, "evaluate-json-ledger-off"),
    ("batch-1000-ledger-off", 1000, None),
    ("batch-1000-sqlite", 1000, "batch-1000-ledger-off"),
    ("batch-1000-postgres", 1000, "batch-1000-ledger-off"),
    # Account-aware: a repeated face looked up and decided twice, compared
    # with the same ledger's evaluate-json (SINGLE is a retry: it reads the
    # account's retries, one lookup too).
    ("evaluate-face-sqlite", 1, "evaluate-json-sqlite"),
    ("evaluate-face-postgres", 1, "evaluate-json-postgres"),
    # One shadow policy (acme-eu) beside the live one, no ledger: compared
    # with the same scenario on the server without a shadow.
    ("evaluate-json-shadow", 1, "evaluate-json-ledger-off"),
    ("batch-1000-shadow", 1000, "batch-1000-ledger-off"),
    ("evaluate-json-cached-ledger-off", 1, None),
    ("evaluate-json-cached-shadow", 1, "evaluate-json-cached-ledger-off"),
]
# Run only when the run is given a PostgreSQL database.
OPTIONAL = {"evaluate-json-postgres", "batch-1000-postgres", "evaluate-face-postgres"}


def trimmed(data):
    """A ghz report without its per-request details and the request body it
    echoes (megabytes for a batch): what is worth keeping with the figures."""
    kept = {key: value for key, value in data.items() if key != "details"}
    options = dict(kept.get("options") or {})
    for key in ("data", "binary"):
        options.pop(key, None)
    kept["options"] = options
    return kept


# The lean client's scenarios (tests/load/loadgen.rs, lines in loadgen.txt):
# (name, the no-op it is compared with, cores the server had)
LEAN = [
    ("noop-json", None, 1),
    ("evaluate-json", "noop-json", 1),
    ("noop-typed", None, 1),
    ("evaluate-typed", "noop-typed", 1),
    ("batch-1000", None, 1),
    ("stream", None, 1),
    ("batch-1000-one-both-cores", None, 2),
    ("batch-1000-both-cores", None, 2),
]


def lean_report(out):
    """The lean client's table (medians over its rounds, each column's median
    on its own), and whether every scenario ran, free of errors. None when the
    run has no loadgen.txt."""
    path = os.path.join(out, "loadgen.txt")
    if not os.path.exists(path):
        return None, True
    runs = {}
    # Every figure the table reads: a line without the server's (loadgen run
    # without its pid) makes the run unclean rather than a traceback.
    needed = {"name", "errors", "calls_per_s", "decisions_per_s", "server_us_per_call",
              "server_us_per_decision", "server_cores"}
    clean = True
    with open(path, encoding="utf-8") as file:
        for line in file:
            fields = dict(field.split("=", 1) for field in line.split() if "=" in field)
            if not needed <= fields.keys():
                clean = False
                continue
            runs.setdefault(fields["name"], []).append(fields)
    figure = lambda name, key: median(float(run[key]) for run in runs[name])
    lines = [
        "| lean client | runs | calls/s | decisions/s | server CPU µs/call | µs/decision | server cores used | vs no-op: µs/call, calls/s | capacity decisions/s |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, baseline, cores in LEAN:
        if name not in runs:
            clean = False
            lines.append(f"| {name} | 0 (missing) |" + " |" * 7)
            continue
        clean &= all(run["errors"] == "0" for run in runs[name])
        versus = ""
        if baseline in runs:
            versus = (f"{figure(name, 'server_us_per_call') / figure(baseline, 'server_us_per_call'):.2f}×, "
                      f"{figure(name, 'calls_per_s') / figure(baseline, 'calls_per_s'):.1%}")
        # One stream is one call: per-call figures say nothing there.
        per_call = name != "stream"
        cells = [
            name,
            str(len(runs[name])),
            f"{figure(name, 'calls_per_s'):,.0f}" if per_call else "",
            f"{figure(name, 'decisions_per_s'):,.0f}",
            f"{figure(name, 'server_us_per_call'):,.1f}" if per_call else "",
            f"{figure(name, 'server_us_per_decision'):,.2f}",
            f"{figure(name, 'server_cores'):.2f}",
            versus,
            # What the server's own CPU per decision allows on the cores it had.
            f"{cores * 1e6 / figure(name, 'server_us_per_decision'):,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), clean


def report(out):
    reports = {}
    os.makedirs(os.path.join(out, "reports"), exist_ok=True)
    for scenario, _, _ in SCENARIOS:
        path = os.path.join(out, f"{scenario}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                reports[scenario] = json.load(file)
            with open(os.path.join(out, "reports", f"{scenario}.json"), "w", encoding="utf-8") as file:
                json.dump(trimmed(reports[scenario]), file, indent=1)
    lines = [
        "| scenario | requests | errors | req/s | decisions/s | p50 ms | p90 ms | p99 ms | vs baseline | server CPU µs/req | ghz CPU µs/req | server RSS peak / first / last MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for scenario, items, baseline in SCENARIOS:
        data = reports.get(scenario)
        if data is None:
            continue
        ok = data.get("statusCodeDistribution", {}).get("OK", 0)
        errors = data["count"] - ok
        rps = data["rps"]
        ratio = ""
        if baseline and baseline in reports:
            ratio = f"{rps / reports[baseline]['rps']:.1%}"
        cpu = cpu_seconds(out, scenario)
        cpu_cells = [f"{seconds * 1e6 / data['count']:,.0f}" if cpu and data["count"] else "" for seconds in (cpu or (0, 0))]
        rss = rss_figures(out, scenario)
        rss_text = " / ".join(f"{kib / 1024:.1f}" for kib in rss) if rss else ""
        cells = [
            scenario,
            str(data["count"]),
            str(errors),
            f"{rps:,.0f}",
            f"{rps * items:,.0f}",
            *(millis(percentile(data, p) or 0) for p in (50, 90, 99)),
            ratio,
            *cpu_cells,
            rss_text,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    lean, lean_clean = lean_report(out)
    if lean:
        table += "\n\n" + lean
    print(table)
    with open(os.path.join(out, "summary.md"), "w", encoding="utf-8") as file:
        file.write(table + "\n")
    missing = [name for name, _, _ in SCENARIOS if name not in reports and name not in OPTIONAL]
    failed = [name for name, data in reports.items()
              if data["count"] == 0 or data.get("statusCodeDistribution", {}).get("OK", 0) != data["count"]]
    if not lean_clean:
        failed.append("lean client")
    if missing or failed:
        print(f"missing reports: {missing}; scenarios with errors or no requests: {failed}", file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("requests", "report"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "requests":
        write_requests(argv[2])
        return 0
    return report(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
