// verdict's conformance vectors, run by a Node.js client (@grpc/grpc-js).
//
// Usage: node conformance.js ADDRESS VECTORS_JSON
//
// A port of ../python/conformance.py: same cases, same comparison, same output.
// The stub comes from @grpc/proto-loader, as a Node service would load it.
//
// Rich error details: read by decoding the `grpc-status-details-bin` trailer
// with protobufjs and the google.rpc messages of google-proto-files, not with
// google-gax's GoogleError.parseGRPCStatusDetails. gax does decode the
// trailer, but with its own bundled copy of google.rpc that its package
// "exports" do not let us import, so a BatchResult.error (a google.rpc.Status
// inside a response) could not be decoded with the same types; it also drops
// details it cannot decode without a word, and brings ~40 packages (an auth
// library, fetch polyfills) for one function. Here one function reads both.

'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const googleProtoFiles = require('google-proto-files');
const { fromProto3JSON } = require('proto3-json-serializer');

const [ADDRESS, VECTORS] = process.argv.slice(2);
const FIXTURES = path.join(path.dirname(path.resolve(VECTORS)), '..', 'fixtures');

// google/rpc/*.proto must come from googleapis (google-proto-files), never from
// the copy vendored in proto/google. Both proto-loader and protobufjs below try
// the include directories in order and take the first that has the file, so
// the googleapis root goes first. (google/protobuf/*.proto never reach this
// lookup: protobufjs serves its bundled well-known types before resolving.)
const GOOGLE_PROTOS = path.dirname(googleProtoFiles.getProtoPath());
const INCLUDE_DIRS = [GOOGLE_PROTOS, path.join(__dirname, '..', '..', '..', 'proto')];

// For the stub: JSON-style field names, enums as names (e.g. "OUTCOME_APPROVE"),
// unset fields as their defaults (as Python reads them), and `result` naming
// which member of BatchResult's oneof is set.
const packageDefinition = protoLoader.loadSync('verdict/v1/decision_service.proto', {
  includeDirs: INCLUDE_DIRS, keepCase: false, enums: String, defaults: true, oneofs: true,
});
const { DecisionService } = grpc.loadPackageDefinition(packageDefinition).verdict.v1;

// proto-loader hides its protobufjs types, so the same files are loaded again
// here: to parse proto3 JSON requests and to unpack google.rpc details.
const root = new protobuf.Root();
root.resolvePath = (origin, target) =>
  INCLUDE_DIRS.map((dir) => path.join(dir, target)).find((file) => fs.existsSync(file)) || target;
root.loadSync(['verdict/v1/decision_service.proto', 'google/rpc/error_details.proto'], { keepCase: false });
root.resolveAll();
const Status = root.lookupType('google.rpc.Status');
if (!Status.filename.startsWith(GOOGLE_PROTOS)) {
  throw new Error(`google.rpc.Status was read from ${Status.filename}, not from google-proto-files`);
}

/** Replaces each {"$fixture": NAME} with the text of that fixture. */
function expand(value) {
  if (Array.isArray(value)) return value.map(expand);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$fixture') {
      return fs.readFileSync(path.join(FIXTURES, value.$fixture), 'utf8');
    }
    return Object.fromEntries(keys.map((key) => [key, expand(value[key])]));
  }
  return value;
}

/**
 * The request as a plain object for the stub. protobufjs's own fromObject
 * refuses a Timestamp written as an RFC 3339 string, so the proto3 JSON is
 * parsed by proto3-json-serializer (the well-known types, enum names, int64
 * strings), like json_format.ParseDict in the Python client.
 */
function request(method, json) {
  const type = root.lookupType(`verdict.v1.${method}Request`);
  return type.toObject(fromProto3JSON(type, json));
}

function seenDecision(decision) {
  return {
    outcome: decision.outcome,
    resultCode: decision.resultCode,
    reasonCodes: decision.reasons.map((reason) => reason.code),
  };
}

/** What a google.rpc.Status says, read with the standard messages. */
function seenError(status) {
  const seen = { code: grpc.status[status.code], details: [] };
  for (const detail of status.details) {
    // `type_url`, not `typeUrl`: protobufjs's bundled google.protobuf.Any keeps
    // its proto names whatever keepCase says, in proto-loader's objects too.
    const typeName = detail.type_url.slice(detail.type_url.lastIndexOf('/') + 1);
    seen.details.push(typeName);
    const unpack = () => root.lookupType(typeName).decode(detail.value);
    if (typeName === 'google.rpc.BadRequest') {
      seen.fieldViolations = unpack().fieldViolations.map((violation) => violation.field);
    } else if (typeName === 'google.rpc.ErrorInfo') {
      seen.reason = unpack().reason;
    } else if (typeName === 'google.rpc.ResourceInfo') {
      seen.resourceName = unpack().resourceName;
    }
  }
  return seen;
}

/** The status of a failed call, from its details trailer (as grpcio-status's from_call). */
function callStatus(error) {
  const [bytes] = error.metadata.get('grpc-status-details-bin');
  if (bytes === undefined) return null;
  const status = Status.decode(bytes);
  if (status.code !== error.code || status.message !== error.details) {
    throw new Error(`the details trailer (${status.code} ${status.message}) contradicts the call (${error.code} ${error.details})`);
  }
  return status;
}

async function call(client, testCase) {
  const req = request(testCase.method, expand(testCase.request));
  let response;
  try {
    response = await new Promise((resolve, reject) => {
      client[testCase.method](req, { deadline: Date.now() + 10_000 }, (error, value) => (error ? reject(error) : resolve(value)));
    });
  } catch (error) {
    if (error.metadata === undefined) throw error; // not a gRPC status
    const status = callStatus(error);
    if (status === null) return { error: { code: grpc.status[error.code], details: [] } };
    return { error: seenError(status) };
  }
  if (testCase.method === 'Evaluate') return { decision: seenDecision(response.decision) };
  return {
    results: response.results.map((result) => (result.result === 'decision'
      ? { id: result.id, decision: seenDecision(result.decision) }
      : { id: result.id, error: seenError(result.error) })),
  };
}

/** Every key the vector names must be seen with that value. */
function matches(expected, seen) {
  if (Array.isArray(expected)) {
    return Array.isArray(seen) && seen.length === expected.length
      && expected.every((e, i) => matches(e, seen[i]));
  }
  if (expected !== null && typeof expected === 'object') {
    return seen !== null && typeof seen === 'object' && !Array.isArray(seen)
      && Object.entries(expected).every(([key, value]) => matches(value, seen[key]));
  }
  return expected === seen;
}

async function main() {
  const { cases } = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));
  const client = new DecisionService(ADDRESS, grpc.credentials.createInsecure());
  let failed = 0;
  try {
    for (const testCase of cases) {
      const seen = await call(client, testCase);
      if (matches(testCase.expect, seen)) {
        console.log(`ok - ${testCase.name}`);
      } else {
        failed += 1;
        console.log(`not ok - ${testCase.name}\n  expected: ${JSON.stringify(testCase.expect)}\n  seen:     ${JSON.stringify(seen)}`);
      }
    }
  } finally {
    client.close();
  }
  console.log(`node: ${cases.length - failed} of ${cases.length} passed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
