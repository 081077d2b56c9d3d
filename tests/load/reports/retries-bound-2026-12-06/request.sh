#!/usr/bin/env bash
# Writes target/load/request-evaluate-json-unique-completed.json: the
# unique-id Evaluate request of tests/load/run (a UUIDv4 workflow id per call)
# with a completion time drawn per call too (ghz template functions), as a
# caller's workflows complete at different times. Its decision (a RETRY of
# one account) reads the account's retries since that time.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
python3 - <<'PY'
import json
path = "target/load/request-evaluate-json-unique.json"
request = json.load(open(path))
body = request["workflowJson"]
fixed = '"completedAt": "2025-03-04T10:20:05.871Z"'
assert fixed in body, "the fixture's completion time moved"
drawn = ('"completedAt": "2025-03-04T10:{{printf `%02d` (randomInt 0 60)}}:'
         '{{printf `%02d` (randomInt 0 60)}}.{{printf `%03d` (randomInt 0 1000)}}Z"')
request["workflowJson"] = body.replace(fixed, drawn)
json.dump(request, open("target/load/request-evaluate-json-unique-completed.json", "w"))
PY
