package dev.verdict.conformance;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import dev.verdict.api.v1.Decision;
import dev.verdict.api.v1.DecisionServiceGrpc;
import dev.verdict.api.v1.EvaluateRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The README's Java client: Evaluate one retrieval body and read a failure's google.rpc details
 * with grpc-java's StatusProto. Usage: Example ADDRESS BODY_FILE.
 */
public final class Example {
  private Example() {}

  public static void main(String[] args) throws Exception {
    String body = Files.readString(Path.of(args[1]));
    ManagedChannel channel = ManagedChannelBuilder.forTarget(args[0]).usePlaintext().build();
    try {
      var stub = DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      Decision decision = stub.evaluate(EvaluateRequest.newBuilder().setWorkflowJson(body).build()).getDecision();
      System.out.println(decision.getOutcome() + " " + decision.getResultCode());
    } catch (StatusRuntimeException e) {
      com.google.rpc.Status status = StatusProto.fromThrowable(e); // from grpc-status-details-bin
      for (Any detail : status.getDetailsList()) {
        if (detail.is(BadRequest.class)) {
          for (BadRequest.FieldViolation violation : detail.unpack(BadRequest.class).getFieldViolationsList()) {
            System.out.println(e.getStatus().getCode() + " " + violation.getField());
          }
        }
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
