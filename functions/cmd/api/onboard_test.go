package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"sigs.k8s.io/yaml"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// TestOnboardMinIO onboards two clusters on a real MinIO and proves each
// one's user can write, read, list and delete under its own prefixes and
// nowhere else: not another cluster's partitions or state, not the lake's
// shared objects.
func TestOnboardMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.CreateBucket(t)
	url := srv.URL(bucket, "lake")
	t.Setenv("MINIO_ROOT_USER", miniotest.AccessKey)
	t.Setenv("MINIO_ROOT_PASSWORD", miniotest.SecretKey)
	_, priv, _ := newKey(t)
	t.Setenv("ATLHYPER_COMMAND_SIGNING_KEY", priv)
	dir := t.TempDir()
	ctx := context.Background()

	onboard := func(cluster, url string, extra ...string) chartValues {
		t.Helper()
		path := filepath.Join(dir, cluster+".yaml")
		var out bytes.Buffer
		args := append([]string{"--store", url, "--cluster", cluster, "--minio", "--values", path}, extra...)
		if err := runOnboard(ctx, args, &out, &out); err != nil {
			t.Fatalf("onboard %s: %v\n%s", cluster, err, out.String())
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("values file %v, mode %v", err, st.Mode())
		}
		data, _ := os.ReadFile(path)
		var v chartValues
		if err := yaml.UnmarshalStrict(data, &v); err != nil {
			t.Fatal(err)
		}
		if v.ClusterID != cluster || v.Store.URL != url || len(v.Ingest.Secret) < 32 || v.Store.Credentials == nil {
			t.Fatalf("values: %s", data)
		}
		if v.RBAC == nil || !v.RBAC.Operations.Enabled {
			t.Fatalf("operations off though a signing key is set: %s", data)
		}
		if _, err := control.ParseKeys(v.RBAC.Operations.CommandPublicKeys); err != nil {
			t.Fatal(err)
		}
		return v
	}
	// The second as from a workstation: the store URL names MinIO's
	// in-cluster address, --minio-endpoint the one this machine reaches.
	a := onboard("prod-a", url)
	b := onboard("prod-ab", "s3://"+bucket+"/lake?endpoint=http://minio.storage.svc:9000", "--minio-endpoint", "http://"+srv.Endpoint)
	if a.Ingest.Secret == b.Ingest.Secret || a.Store.Credentials.AccessKeyID == b.Store.Credentials.AccessKeyID {
		t.Fatal("two clusters share a secret or a user")
	}

	client := func(v chartValues) *minio.Client {
		c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(v.Store.Credentials.AccessKeyID, v.Store.Credentials.SecretAccessKey, "")})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca := client(a)
	put := func(c *minio.Client, key string) error {
		_, err := c.PutObject(ctx, bucket, key, strings.NewReader("x"), 1, minio.PutObjectOptions{})
		return err
	}
	denied := func(what string, err error) {
		t.Helper()
		if minio.ToErrorResponse(err).Code != "AccessDenied" {
			t.Errorf("%s: want AccessDenied, got %v", what, err)
		}
	}
	// Its own prefixes: every table's partition and its state.
	for _, p := range ClusterPrefixes("lake", "prod-a") {
		key := p + "date=2026-12-07/00-agent-x.parquet"
		if err := put(ca, key); err != nil {
			t.Errorf("put %s: %v", key, err)
			continue
		}
		if _, err := ca.StatObject(ctx, bucket, key, minio.StatObjectOptions{}); err != nil {
			t.Errorf("stat %s: %v", key, err)
		}
		if err := ca.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
			t.Errorf("delete %s: %v", key, err)
		}
	}
	// The agent's own store code, with these keys, on its prefixes.
	t.Setenv("AWS_ACCESS_KEY_ID", a.Store.Credentials.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", a.Store.Credentials.SecretAccessKey)
	t.Setenv("MINIO_ROOT_USER", "")
	t.Setenv("MINIO_ROOT_PASSWORD", "")
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, lake.ClusterKey("prod-a", "current.json"), []byte("{}"), store.Condition{}); err != nil {
		t.Errorf("store put current.json: %v", err)
	}
	if _, _, err := st.List(ctx, "pods/cluster=prod-a/", "", 10); err != nil {
		t.Errorf("store list own partition: %v", err)
	}
	_, err = st.Put(ctx, lake.ClusterKey("prod-ab", "current.json"), []byte("{}"), store.Condition{})
	if minio.ToErrorResponse(errors.Unwrap(err)).Code != "AccessDenied" && (err == nil || !strings.Contains(err.Error(), "Access Denied")) {
		t.Errorf("store put another cluster's current.json: %v", err)
	}

	// Another cluster's (prod-ab: its id starts with prod-a), and the shared objects.
	denied("put another cluster's partition", put(ca, "lake/pods/cluster=prod-ab/date=2026-12-07/00-agent-x.parquet"))
	denied("put another cluster's state", put(ca, "lake/_sys/clusters/prod-ab/current.json"))
	denied("put the users", put(ca, "lake/_sys/users.json"))
	denied("put outside the lake", put(ca, "other/x"))
	if err := put(client(b), "lake/_sys/clusters/prod-ab/current.json"); err != nil {
		t.Fatal(err)
	}
	_, err = ca.StatObject(ctx, bucket, "lake/_sys/clusters/prod-ab/current.json", minio.StatObjectOptions{})
	denied("read another cluster's state", err)
	denied("delete another cluster's state", ca.RemoveObject(ctx, bucket, "lake/_sys/clusters/prod-ab/current.json", minio.RemoveObjectOptions{}))
	for obj := range ca.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "lake/_sys/clusters/prod-ab/"}) {
		denied("list another cluster's state", obj.Err)
		break
	}
}

// TestOnboardValues: without MinIO (AWS, IRSA) no keys go into the values,
// the policy is printed, a new id is minted, and bad input is refused.
func TestOnboardValues(t *testing.T) {
	t.Setenv("ATLHYPER_COMMAND_SIGNING_KEY", "")
	dir := t.TempDir()
	var out bytes.Buffer
	path := filepath.Join(dir, "v.yaml")
	if err := runOnboard(context.Background(), []string{"--store", "s3://lake-bucket/atlhyper", "--values", path}, &out, &out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var v chartValues
	if err := yaml.UnmarshalStrict(data, &v); err != nil {
		t.Fatal(err)
	}
	if !dnsLabel.MatchString(v.ClusterID) || v.Store.Credentials != nil || v.RBAC != nil {
		t.Errorf("values: %s", data)
	}
	if !strings.Contains(out.String(), `"arn:aws:s3:::lake-bucket/atlhyper/pods/cluster=`+v.ClusterID+`/*"`) ||
		!strings.Contains(out.String(), "remote operations stay off") {
		t.Errorf("output:\n%s", out.String())
	}
	// Never overwrites.
	if err := runOnboard(context.Background(), []string{"--store", "s3://lake-bucket/atlhyper", "--values", path}, &out, &out); err == nil {
		t.Error("overwrote a values file")
	}
	for _, args := range [][]string{
		{},
		{"--store", "file:///tmp/lake"},
		{"--store", "s3://b/p", "--cluster", "Prod_1"},
		{"--store", "s3://b/p", "--minio", "--values", filepath.Join(dir, "m.yaml")},
		{"--store", "s3://b/p", "--command-public-keys", "k1=short", "--values", filepath.Join(dir, "k.yaml")},
	} {
		if err := runOnboard(context.Background(), args, &out, &out); err == nil {
			t.Errorf("onboard %v: no error", args)
		}
	}
}

func newKey(t *testing.T) (id, priv, pub string) {
	t.Helper()
	var out bytes.Buffer
	if err := runCommandKey([]string{"--id", "k1"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			switch k {
			case "ATLHYPER_COMMAND_SIGNING_KEY":
				priv = v
			case "ATLHYPER_COMMAND_PUBLIC_KEYS":
				pub = v
			}
		}
	}
	return "k1", priv, pub
}
