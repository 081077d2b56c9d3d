"""verdict's conformance vectors, run by a Python client (grpcio).

Usage: conformance.py ADDRESS VECTORS_JSON GENERATED_DIR

GENERATED_DIR holds the stubs grpcio-tools' protoc made of proto/verdict/v1
(the command is in the README's "Clients" section). Rich error
details are read with grpcio-status (rpc_status.from_call) and the
google.rpc messages of googleapis-common-protos, as a Python service would.
"""

import json
import os
import sys

import grpc
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status

sys.path.insert(0, sys.argv[3])
from verdict.v1 import decision_pb2, decision_service_pb2  # noqa: E402
from verdict.v1 import decision_service_pb2_grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(sys.argv[2])), "..", "fixtures")


def expand(value):
    """Replaces each {"$fixture": NAME} with the text of that fixture."""
    if isinstance(value, dict):
        if list(value) == ["$fixture"]:
            with open(os.path.join(FIXTURES, value["$fixture"]), encoding="utf-8") as file:
                return file.read()
        return {key: expand(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [expand(inner) for inner in value]
    return value


def seen_decision(decision):
    return {
        "outcome": decision_pb2.Outcome.Name(decision.outcome),
        "resultCode": decision.result_code,
        "reasonCodes": [reason.code for reason in decision.reasons],
    }


def seen_error(status):
    """What a google.rpc.Status says, read with the standard messages."""
    seen = {"code": code_pb2.Code.Name(status.code), "details": []}
    for detail in status.details:
        seen["details"].append(detail.TypeName())
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            seen["fieldViolations"] = [v.field for v in bad.field_violations]
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            seen["reason"] = info.reason
        elif detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            resource = error_details_pb2.ResourceInfo()
            detail.Unpack(resource)
            seen["resourceName"] = resource.resource_name
    return seen


def call(stub, case):
    request_type = getattr(decision_service_pb2, case["method"] + "Request")
    request = json_format.ParseDict(expand(case["request"]), request_type())
    try:
        response = getattr(stub, case["method"])(request, timeout=10)
    except grpc.RpcError as error:
        status = rpc_status.from_call(error)
        if status is None:
            return {"error": {"code": error.code().name, "details": []}}
        return {"error": seen_error(status)}
    if case["method"] == "Evaluate":
        return {"decision": seen_decision(response.decision)}
    results = []
    for result in response.results:
        if result.HasField("decision"):
            results.append({"id": result.id, "decision": seen_decision(result.decision)})
        else:
            results.append({"id": result.id, "error": seen_error(result.error)})
    return {"results": results}


def matches(expected, seen):
    """Every key the vector names must be seen with that value."""
    if isinstance(expected, dict):
        return isinstance(seen, dict) and all(matches(v, seen.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(seen, list) and len(seen) == len(expected)
                and all(matches(e, s) for e, s in zip(expected, seen)))
    return expected == seen


def main():
    with open(sys.argv[2], encoding="utf-8") as file:
        cases = json.load(file)["cases"]
    failed = 0
    with grpc.insecure_channel(sys.argv[1]) as channel:
        stub = decision_service_pb2_grpc.DecisionServiceStub(channel)
        for case in cases:
            seen = call(stub, case)
            if matches(case["expect"], seen):
                print(f"ok - {case['name']}")
            else:
                failed += 1
                print(f"not ok - {case['name']}\n  expected: {json.dumps(case['expect'])}\n  seen:     {json.dumps(seen)}")
    print(f"python: {len(cases) - failed} of {len(cases)} passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
