package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/minio/madmin-go/v3"
	"go.yaml.in/yaml/v3"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
)

// runOnboard prepares a cluster for the Helm chart in one command:
//
//	api onboard --store s3://bucket/prefix?endpoint=… [--cluster id] [--minio [--minio-endpoint host:port]]
//	            [--values file] [--policy file] [--command-public-keys keys]
//
// It mints the cluster id (unless given) and the ingest secret, takes the
// command-signing public key (--command-public-keys, else derived from the
// API's ATLHYPER_COMMAND_SIGNING_KEY), and writes the chart's values file
// (mode 0600: it holds secrets). The store policy scoped to the cluster's
// prefixes is printed (for AWS: attach it to the role of the agent's
// ServiceAccount); with --minio it is also created on the MinIO server of
// the store URL, with a user holding only it, whose keys go into the values
// file. MinIO's admin credentials come from MINIO_ROOT_USER and
// MINIO_ROOT_PASSWORD (else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
func runOnboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("api onboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "", "the lake: s3://bucket/prefix?endpoint=host:port (required)")
	cluster := fs.String("cluster", "", "cluster id, a lowercase DNS label (default: a new random one)")
	useMinIO := fs.Bool("minio", false, "create the cluster's policy and user on the store's MinIO server")
	valuesPath := fs.String("values", "", "values file to write (default atlhyper-<cluster>.yaml; never overwritten)")
	policyPath := fs.String("policy", "", "also write the store policy (JSON) to this file")
	adminEndpoint := fs.String("minio-endpoint", "", "MinIO's address as this machine reaches it, when the store URL's is the in-cluster one (host:port; http:// for plain HTTP)")
	publicKeys := fs.String("command-public-keys", "", "keys the agent trusts for remote operations (default: from ATLHYPER_COMMAND_SIGNING_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	loc, err := parseS3(*storeURL)
	if err != nil {
		return err
	}
	if *cluster == "" {
		*cluster = "c" + randomLower(12)
	} else if !dnsLabel.MatchString(*cluster) {
		return fmt.Errorf("--cluster %q: a lowercase DNS label (a-z, 0-9, '-', at most 63)", *cluster)
	}
	keys := *publicKeys
	if keys == "" {
		if priv := os.Getenv("ATLHYPER_COMMAND_SIGNING_KEY"); priv != "" {
			s, err := control.ParseSigner(priv)
			if err != nil {
				return fmt.Errorf("ATLHYPER_COMMAND_SIGNING_KEY: %w", err)
			}
			keys = s.PublicKey()
		}
	}
	if keys != "" {
		if _, err := control.ParseKeys(keys); err != nil {
			return fmt.Errorf("command public keys: %w", err)
		}
	}
	if *valuesPath == "" {
		*valuesPath = "atlhyper-" + *cluster + ".yaml"
	}
	policy, err := ClusterPolicy(loc.bucket, loc.prefix, *cluster)
	if err != nil {
		return err
	}

	values := chartValues{ClusterID: *cluster}
	values.Store.URL = *storeURL
	values.Ingest.Secret = randomLower(40)
	if keys != "" {
		values.RBAC = &rbacValues{Operations: operationsValues{Enabled: true, CommandPublicKeys: keys}}
	}
	if *policyPath != "" {
		if err := os.WriteFile(*policyPath, []byte(policy+"\n"), 0o644); err != nil {
			return fmt.Errorf("policy file: %w", err)
		}
	}
	if *useMinIO {
		if *adminEndpoint != "" {
			loc.endpoint, loc.secure = strings.TrimPrefix(strings.TrimPrefix(*adminEndpoint, "http://"), "https://"), !strings.HasPrefix(*adminEndpoint, "http://")
		}
		if loc.endpoint == "" {
			return errors.New("--minio: the store URL names no endpoint (?endpoint=host:port)")
		}
		user, secret, err := minioUser(ctx, loc, *cluster, policy)
		if err != nil {
			return err
		}
		values.Store.Credentials = &credentialValues{AccessKeyID: user, SecretAccessKey: secret}
	}
	data, err := yaml.Marshal(values)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*valuesPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("values file: %w", err)
	}
	header := "# AtlHyper chart values for cluster " + *cluster + " (api onboard). Holds secrets: keep it like one.\n"
	if _, err := f.WriteString(header + string(data)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "cluster %s: values written to %s\n", *cluster, *valuesPath)
	if *useMinIO {
		fmt.Fprintf(stdout, "MinIO user %s holds the policy atlhyper-%s: its cluster's prefixes only\n", values.Store.Credentials.AccessKeyID, *cluster)
	} else {
		fmt.Fprintf(stdout, "attach this policy to the role the agent's ServiceAccount assumes (serviceAccount.annotations):\n%s\n", policy)
	}
	if keys == "" {
		fmt.Fprintln(stdout, "no command public key (ATLHYPER_COMMAND_SIGNING_KEY unset): remote operations stay off")
	}
	fmt.Fprintf(stdout, "install (docs/install.md): helm install atlhyper infra/helm/atlhyper -n atlhyper -f %s\n", *valuesPath)
	return nil
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// chartValues is what onboarding sets of the chart's values.
type chartValues struct {
	ClusterID string `json:"clusterId" yaml:"clusterId"`
	Store     struct {
		URL         string            `json:"url" yaml:"url"`
		Credentials *credentialValues `json:"credentials,omitempty" yaml:"credentials,omitempty"`
	} `json:"store" yaml:"store"`
	Ingest struct {
		Secret string `json:"secret" yaml:"secret"`
	} `json:"ingest" yaml:"ingest"`
	RBAC *rbacValues `json:"rbac,omitempty" yaml:"rbac,omitempty"`
}

type credentialValues struct {
	AccessKeyID     string `json:"accessKeyId" yaml:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey" yaml:"secretAccessKey"`
}

type rbacValues struct {
	Operations operationsValues `json:"operations" yaml:"operations"`
}

type operationsValues struct {
	Enabled           bool   `json:"enabled" yaml:"enabled"`
	CommandPublicKeys string `json:"commandPublicKeys" yaml:"commandPublicKeys"`
}

type s3Location struct {
	bucket, prefix, endpoint string
	secure                   bool
}

func parseS3(raw string) (s3Location, error) {
	if raw == "" {
		return s3Location{}, errors.New("--store is required (s3://bucket/prefix?endpoint=host:port)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return s3Location{}, fmt.Errorf("--store %q: want s3://bucket/prefix (a cluster's agent writes to object storage)", raw)
	}
	q := u.Query()
	loc := s3Location{bucket: u.Host, prefix: strings.Trim(u.Path, "/"), endpoint: q.Get("endpoint"), secure: true}
	if strings.HasPrefix(loc.endpoint, "http://") {
		loc.secure = false
	}
	loc.endpoint = strings.TrimPrefix(strings.TrimPrefix(loc.endpoint, "http://"), "https://")
	if v := q.Get("insecure"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s3Location{}, fmt.Errorf("--store: insecure=%q: %w", v, err)
		}
		loc.secure = !b
	}
	return loc, nil
}

// ClusterPrefixes are the key prefixes a cluster's agent writes and reads:
// its partition of every table and its _sys/clusters/<id>/ objects.
func ClusterPrefixes(prefix, cluster string) []string {
	if prefix != "" {
		prefix += "/"
	}
	var out []string
	for _, t := range lake.All() {
		out = append(out, prefix+t.Name()+"/cluster="+cluster+"/")
	}
	return append(out, prefix+lake.ClusterKey(cluster, ""))
}

// ClusterPolicy is the S3 (and MinIO) policy of one cluster's agent: read,
// write and delete under its prefixes, list only there.
func ClusterPolicy(bucket, prefix, cluster string) (string, error) {
	var objects, list []string
	for _, p := range ClusterPrefixes(prefix, cluster) {
		objects = append(objects, "arn:aws:s3:::"+bucket+"/"+p+"*")
		list = append(list, p+"*")
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Effect": "Allow", "Action": []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, "Resource": objects},
			map[string]any{"Effect": "Allow", "Action": []string{"s3:ListBucket"}, "Resource": []string{"arn:aws:s3:::" + bucket},
				"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": list}}},
		},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	return string(data), err
}

// minioUser creates (or replaces) the cluster's policy and a user holding
// only it, and returns the user's keys.
func minioUser(ctx context.Context, loc s3Location, cluster, policy string) (user, secret string, err error) {
	ak, sk := os.Getenv("MINIO_ROOT_USER"), os.Getenv("MINIO_ROOT_PASSWORD")
	if ak == "" {
		ak, sk = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	}
	if ak == "" || sk == "" {
		return "", "", errors.New("--minio: set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to MinIO admin credentials")
	}
	adm, err := madmin.New(loc.endpoint, ak, sk, loc.secure)
	if err != nil {
		return "", "", fmt.Errorf("minio admin client: %w", err)
	}
	name := "atlhyper-" + cluster
	if err := adm.AddCannedPolicy(ctx, name, []byte(policy)); err != nil {
		return "", "", fmt.Errorf("minio: add policy %s: %w", name, err)
	}
	// MinIO access keys are at most 20 characters; cluster ids reach 63.
	user, secret = "ah"+randomLower(18), randomLower(40)
	if err := adm.AddUser(ctx, user, secret); err != nil {
		return "", "", fmt.Errorf("minio: add user: %w", err)
	}
	if _, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{name}, User: user}); err != nil {
		return "", "", fmt.Errorf("minio: attach policy %s to %s: %w", name, user, err)
	}
	return user, secret, nil
}

// randomLower returns n random characters of a-z and 2-7.
func randomLower(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return s[:n]
}
