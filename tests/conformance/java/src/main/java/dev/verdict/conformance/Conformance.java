package dev.verdict.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.Status;
import dev.verdict.api.v1.BatchEvaluateRequest;
import dev.verdict.api.v1.BatchResult;
import dev.verdict.api.v1.Decision;
import dev.verdict.api.v1.DecisionServiceGrpc;
import dev.verdict.api.v1.DecisionServiceGrpc.DecisionServiceBlockingStub;
import dev.verdict.api.v1.EvaluateRequest;
import dev.verdict.api.v1.Reason;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * verdict's conformance vectors, run by a Java client (grpc-java).
 *
 * <p>Usage: Conformance ADDRESS VECTORS_JSON. Rich error details are read with grpc-java's
 * StatusProto and the google.rpc messages of proto-google-common-protos, as a Java service would.
 * A port of ../python/conformance.py: same cases, same comparison, same output.
 */
public final class Conformance {
  private Conformance() {}

  /** Replaces each {"$fixture": NAME} with the text of that fixture. */
  static JsonElement expand(JsonElement value, Path fixtures) throws IOException {
    if (value.isJsonObject()) {
      JsonObject object = value.getAsJsonObject();
      if (object.size() == 1 && object.has("$fixture")) {
        String text = Files.readString(fixtures.resolve(object.get("$fixture").getAsString()));
        return new JsonPrimitive(text);
      }
      JsonObject expanded = new JsonObject();
      for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
        expanded.add(entry.getKey(), expand(entry.getValue(), fixtures));
      }
      return expanded;
    }
    if (value.isJsonArray()) {
      JsonArray expanded = new JsonArray();
      for (JsonElement inner : value.getAsJsonArray()) {
        expanded.add(expand(inner, fixtures));
      }
      return expanded;
    }
    return value;
  }

  static JsonObject seenDecision(Decision decision) {
    JsonObject seen = new JsonObject();
    seen.addProperty("outcome", decision.getOutcome().name());
    seen.addProperty("resultCode", decision.getResultCode());
    JsonArray codes = new JsonArray();
    for (Reason reason : decision.getReasonsList()) {
      codes.add(reason.getCode());
    }
    seen.add("reasonCodes", codes);
    return seen;
  }

  /** What a google.rpc.Status says, read with the standard messages. */
  static JsonObject seenError(Status status) throws InvalidProtocolBufferException {
    JsonObject seen = new JsonObject();
    seen.addProperty("code", Code.forNumber(status.getCode()).name());
    JsonArray details = new JsonArray();
    seen.add("details", details);
    for (Any detail : status.getDetailsList()) {
      String typeUrl = detail.getTypeUrl();
      details.add(typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
      if (detail.is(BadRequest.class)) {
        JsonArray fields = new JsonArray();
        for (BadRequest.FieldViolation violation :
            detail.unpack(BadRequest.class).getFieldViolationsList()) {
          fields.add(violation.getField());
        }
        seen.add("fieldViolations", fields);
      } else if (detail.is(ErrorInfo.class)) {
        seen.addProperty("reason", detail.unpack(ErrorInfo.class).getReason());
      } else if (detail.is(ResourceInfo.class)) {
        seen.addProperty("resourceName", detail.unpack(ResourceInfo.class).getResourceName());
      }
    }
    return seen;
  }

  static <T extends Message.Builder> T parse(JsonElement request, T builder)
      throws InvalidProtocolBufferException {
    JsonFormat.parser().merge(request.toString(), builder);
    return builder;
  }

  static JsonObject call(DecisionServiceBlockingStub channelStub, JsonObject testCase, Path fixtures)
      throws IOException {
    String method = testCase.get("method").getAsString();
    JsonElement request = expand(testCase.get("request"), fixtures);
    // A deadline is a point in time, so each call gets a stub of its own.
    DecisionServiceBlockingStub stub = channelStub.withDeadlineAfter(10, TimeUnit.SECONDS);
    JsonObject seen = new JsonObject();
    try {
      switch (method) {
        case "Evaluate" -> seen.add("decision", seenDecision(
            stub.evaluate(parse(request, EvaluateRequest.newBuilder()).build()).getDecision()));
        case "BatchEvaluate" -> {
          JsonArray results = new JsonArray();
          for (BatchResult result :
              stub.batchEvaluate(parse(request, BatchEvaluateRequest.newBuilder()).build())
                  .getResultsList()) {
            JsonObject item = new JsonObject();
            item.addProperty("id", result.getId());
            if (result.hasDecision()) {
              item.add("decision", seenDecision(result.getDecision()));
            } else {
              item.add("error", seenError(result.getError()));
            }
            results.add(item);
          }
          seen.add("results", results);
        }
        default -> throw new IllegalArgumentException("unknown method " + method);
      }
    } catch (StatusRuntimeException error) {
      Status status = StatusProto.fromThrowable(error);
      if (status == null) {
        // No rich details in the trailers: only the code is there to see.
        JsonObject bare = new JsonObject();
        bare.addProperty("code", error.getStatus().getCode().name());
        bare.add("details", new JsonArray());
        seen.add("error", bare);
      } else {
        seen.add("error", seenError(status));
      }
    }
    return seen;
  }

  /** Every key the vector names must be seen with that value. */
  static boolean matches(JsonElement expected, JsonElement seen) {
    if (expected.isJsonObject()) {
      if (seen == null || !seen.isJsonObject()) {
        return false;
      }
      for (Map.Entry<String, JsonElement> entry : expected.getAsJsonObject().entrySet()) {
        if (!matches(entry.getValue(), seen.getAsJsonObject().get(entry.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (expected.isJsonArray()) {
      if (seen == null || !seen.isJsonArray()
          || seen.getAsJsonArray().size() != expected.getAsJsonArray().size()) {
        return false;
      }
      for (int i = 0; i < expected.getAsJsonArray().size(); i++) {
        if (!matches(expected.getAsJsonArray().get(i), seen.getAsJsonArray().get(i))) {
          return false;
        }
      }
      return true;
    }
    return expected.equals(seen);
  }

  public static void main(String[] args) throws Exception {
    Path vectors = Path.of(args[1]).toAbsolutePath();
    Path fixtures = vectors.getParent().resolve("../fixtures").normalize();
    JsonArray cases = JsonParser.parseString(Files.readString(vectors, StandardCharsets.UTF_8))
        .getAsJsonObject().getAsJsonArray("cases");
    int failed = 0;
    ManagedChannel channel = ManagedChannelBuilder.forTarget(args[0]).usePlaintext().build();
    try {
      DecisionServiceBlockingStub stub = DecisionServiceGrpc.newBlockingStub(channel);
      for (JsonElement element : cases) {
        JsonObject testCase = element.getAsJsonObject();
        String name = testCase.get("name").getAsString();
        JsonObject seen = call(stub, testCase, fixtures);
        if (matches(testCase.get("expect"), seen)) {
          System.out.println("ok - " + name);
        } else {
          failed++;
          System.out.println("not ok - " + name + "\n  expected: " + testCase.get("expect")
              + "\n  seen:     " + seen);
        }
      }
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    System.out.println("java: " + (cases.size() - failed) + " of " + cases.size() + " passed");
    // exec:java runs main inside Maven's JVM: exiting is what makes mvn's exit code ours.
    System.exit(failed == 0 ? 0 : 1);
  }
}
