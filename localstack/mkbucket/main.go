// Command mkbucket creates a bucket on a local MinIO if it does not exist
// (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkbucket <host:port> <bucket>")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := minio.New(os.Args[1], &minio.Options{Creds: credentials.NewEnvAWS(), Region: "us-east-1"})
	if err == nil {
		var ok bool
		if ok, err = c.BucketExists(ctx, os.Args[2]); err == nil && !ok {
			err = c.MakeBucket(ctx, os.Args[2], minio.MakeBucketOptions{Region: "us-east-1"})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbucket:", err)
		os.Exit(1)
	}
}
