// Command conformance runs verdict's conformance vectors with a grpc-go client.
//
// Usage: conformance ADDRESS VECTORS_JSON
//
// The stubs in gen/ come from proto/buf.gen.go.yaml. Rich error details are
// read with grpc-go's status package and genproto's errdetails, as a Go
// service would: a batch item's error is the same status.Status type.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	verdictv1 "verdict.dev/conformance/gen/verdict/v1"
)

type testCase struct {
	Name    string `json:"name"`
	Method  string `json:"method"`
	Request any    `json:"request"`
	Expect  any    `json:"expect"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: conformance ADDRESS VECTORS_JSON")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[2])
	must(err)
	var vectors struct {
		Cases []testCase `json:"cases"`
	}
	must(json.Unmarshal(raw, &vectors))
	fixtures := filepath.Join(filepath.Dir(os.Args[2]), "..", "fixtures")

	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	must(err)
	defer conn.Close()
	client := verdictv1.NewDecisionServiceClient(conn)

	failed := 0
	for _, c := range vectors.Cases {
		seen := call(client, c.Method, expand(c.Request, fixtures))
		if matches(c.Expect, seen) {
			fmt.Printf("ok - %s\n", c.Name)
			continue
		}
		failed++
		expected, _ := json.Marshal(c.Expect)
		got, _ := json.Marshal(seen)
		fmt.Printf("not ok - %s\n  expected: %s\n  seen:     %s\n", c.Name, expected, got)
	}
	fmt.Printf("go: %d of %d passed\n", len(vectors.Cases)-failed, len(vectors.Cases))
	if failed > 0 {
		os.Exit(1)
	}
}

// expand replaces each {"$fixture": NAME} with the text of that fixture.
func expand(value any, fixtures string) any {
	switch v := value.(type) {
	case map[string]any:
		if name, ok := v["$fixture"].(string); ok && len(v) == 1 {
			text, err := os.ReadFile(filepath.Join(fixtures, name))
			must(err)
			return string(text)
		}
		out := make(map[string]any, len(v))
		for key, inner := range v {
			out[key] = expand(inner, fixtures)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, inner := range v {
			out[i] = expand(inner, fixtures)
		}
		return out
	default:
		return value
	}
}

// call sends the request (proto3 JSON) and describes what came back in the
// vectors' terms.
func call(client verdictv1.DecisionServiceClient, method string, request any) map[string]any {
	text, err := json.Marshal(request)
	must(err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch method {
	case "Evaluate":
		req := &verdictv1.EvaluateRequest{}
		must(protojson.Unmarshal(text, req))
		resp, err := client.Evaluate(ctx, req)
		if err != nil {
			return map[string]any{"error": seenError(status.Convert(err))}
		}
		return map[string]any{"decision": seenDecision(resp.GetDecision())}
	case "BatchEvaluate":
		req := &verdictv1.BatchEvaluateRequest{}
		must(protojson.Unmarshal(text, req))
		resp, err := client.BatchEvaluate(ctx, req)
		if err != nil {
			return map[string]any{"error": seenError(status.Convert(err))}
		}
		results := []any{}
		for _, r := range resp.GetResults() {
			if r.GetError() != nil {
				results = append(results, map[string]any{"id": r.GetId(), "error": seenError(status.FromProto(r.GetError()))})
			} else {
				results = append(results, map[string]any{"id": r.GetId(), "decision": seenDecision(r.GetDecision())})
			}
		}
		return map[string]any{"results": results}
	}
	panic("unknown method " + method)
}

func seenDecision(d *verdictv1.Decision) map[string]any {
	codes := []any{}
	for _, r := range d.GetReasons() {
		codes = append(codes, r.GetCode())
	}
	return map[string]any{"outcome": d.GetOutcome().String(), "resultCode": d.GetResultCode(), "reasonCodes": codes}
}

func seenError(st *status.Status) map[string]any {
	seen := map[string]any{"code": code.Code_name[int32(st.Code())]}
	types := []any{}
	for _, detail := range st.Details() {
		message, ok := detail.(proto.Message)
		if !ok {
			types = append(types, fmt.Sprint(detail))
			continue
		}
		types = append(types, string(proto.MessageName(message)))
		switch d := message.(type) {
		case *errdetails.BadRequest:
			fields := []any{}
			for _, v := range d.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
			seen["fieldViolations"] = fields
		case *errdetails.ErrorInfo:
			seen["reason"] = d.GetReason()
		case *errdetails.ResourceInfo:
			seen["resourceName"] = d.GetResourceName()
		}
	}
	seen["details"] = types
	return seen
}

// matches: every key the vector names must be seen with that value.
func matches(expected, seen any) bool {
	switch e := expected.(type) {
	case map[string]any:
		s, ok := seen.(map[string]any)
		if !ok {
			return false
		}
		for key, value := range e {
			if !matches(value, s[key]) {
				return false
			}
		}
		return true
	case []any:
		s, ok := seen.([]any)
		if !ok || len(s) != len(e) {
			return false
		}
		for i := range e {
			if !matches(e[i], s[i]) {
				return false
			}
		}
		return true
	default:
		return expected == seen
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
}
