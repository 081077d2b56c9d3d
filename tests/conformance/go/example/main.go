// Command example is the README's Go client: Evaluate one retrieval body and
// read a failure's google.rpc details with grpc-go's own status package.
//
// Usage: example ADDRESS BODY_FILE
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	verdictv1 "verdict.dev/conformance/gen/verdict/v1"
)

func main() {
	body, err := os.ReadFile(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := verdictv1.NewDecisionServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := client.Evaluate(ctx, &verdictv1.EvaluateRequest{
		Input: &verdictv1.EvaluateRequest_WorkflowJson{WorkflowJson: string(body)},
	})
	if err != nil {
		st := status.Convert(err) // code, message and details from grpc-status-details-bin
		for _, detail := range st.Details() {
			if bad, ok := detail.(*errdetails.BadRequest); ok {
				for _, violation := range bad.GetFieldViolations() {
					fmt.Println(st.Code(), violation.GetField())
				}
			}
		}
		return
	}
	fmt.Println(resp.GetDecision().GetOutcome(), resp.GetDecision().GetResultCode())
}
