"""The README's Python client: Evaluate one retrieval body and read a
failure's google.rpc details with grpcio-status.

Usage: example.py ADDRESS BODY_FILE (with the generated stubs on PYTHONPATH)
"""

import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from verdict.v1 import decision_pb2, decision_service_pb2, decision_service_pb2_grpc

with open(sys.argv[2], encoding="utf-8") as file:
    body = file.read()
with grpc.insecure_channel(sys.argv[1]) as channel:
    stub = decision_service_pb2_grpc.DecisionServiceStub(channel)
    try:
        response = stub.Evaluate(decision_service_pb2.EvaluateRequest(workflow_json=body), timeout=10)
        print(decision_pb2.Outcome.Name(response.decision.outcome), response.decision.result_code)
    except grpc.RpcError as error:
        status = rpc_status.from_call(error)  # google.rpc.Status from grpc-status-details-bin
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                for violation in bad.field_violations:
                    print(error.code().name, violation.field)
