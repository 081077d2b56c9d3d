// The README's Node client: Evaluate one retrieval body and read a failure's
// google.rpc details. grpc-js has no helper for them, so the
// grpc-status-details-bin trailer is decoded with protobufjs and googleapis'
// own google/rpc protos (google-proto-files), never the copy in proto/google.
//
// Usage: node example.js ADDRESS BODY_FILE

'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const googleProtoFiles = require('google-proto-files');

const [address, bodyFile] = process.argv.slice(2);
const body = fs.readFileSync(bodyFile, 'utf8');
const PROTO = path.join(__dirname, '..', '..', '..', 'proto'); // verdict's proto/ folder

const GOOGLE = path.dirname(googleProtoFiles.getProtoPath()); // first, so google/rpc comes from googleapis
const definition = protoLoader.loadSync('verdict/v1/decision_service.proto', { includeDirs: [GOOGLE, PROTO], enums: String });
const { DecisionService } = grpc.loadPackageDefinition(definition).verdict.v1;
const rpc = protobuf.loadSync(['status.proto', 'error_details.proto'].map((file) => path.join(GOOGLE, 'google/rpc', file)));

const client = new DecisionService(address, grpc.credentials.createInsecure());
client.Evaluate({ workflowJson: body }, { deadline: Date.now() + 10_000 }, (error, response) => {
  if (error) {
    const status = rpc.lookupType('google.rpc.Status').decode(error.metadata.get('grpc-status-details-bin')[0]);
    for (const detail of status.details.filter((any) => any.type_url.endsWith('/google.rpc.BadRequest'))) {
      for (const violation of rpc.lookupType('google.rpc.BadRequest').decode(detail.value).fieldViolations) {
        console.log(grpc.status[error.code], violation.field);
      }
    }
  } else {
    console.log(response.decision.outcome, response.decision.resultCode);
  }
  client.close();
});
