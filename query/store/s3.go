package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Bucket in an S3-compatible service (AWS S3, MinIO), using S3's
// conditional writes (If-None-Match: *, If-Match) for create-only and CAS.
type S3 struct {
	core   minio.Core
	bucket string
	prefix string // "" or ends with "/"
	url    string
}

var _ Bucket = (*S3)(nil)

// S3Options configure NewS3. Endpoint is host[:port]; empty means AWS.
type S3Options struct {
	Bucket, Prefix, Endpoint, Region string
	Insecure                         bool // plain HTTP (local MinIO)
	Creds                            *credentials.Credentials
	// MaxRetries bounds the client's own retries of failed requests
	// (default 3), so an unreachable store fails in seconds, not minutes.
	MaxRetries int
}

func openS3(_ context.Context, u *url.URL) (*S3, error) {
	q := u.Query()
	opts := S3Options{
		Bucket:   u.Host,
		Prefix:   strings.Trim(u.Path, "/"),
		Endpoint: q.Get("endpoint"),
		Region:   q.Get("region"),
	}
	if opts.Region == "" {
		opts.Region = os.Getenv("AWS_REGION")
	}
	if strings.HasPrefix(opts.Endpoint, "http://") {
		opts.Insecure = true
	}
	opts.Endpoint = strings.TrimPrefix(strings.TrimPrefix(opts.Endpoint, "http://"), "https://")
	if v := q.Get("insecure"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("store url: insecure=%q: %w", v, err)
		}
		opts.Insecure = b
	}
	if v := q.Get("retries"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("store url: retries=%q must be a positive integer", v)
		}
		opts.MaxRetries = n
	}
	return NewS3(opts)
}

// NewS3 returns an S3 bucket. Without opts.Creds, credentials come from the
// AWS and MinIO environment variables, then the instance/Lambda role.
func NewS3(opts S3Options) (*S3, error) {
	if opts.Bucket == "" {
		return nil, errors.New("s3 store: bucket is required (s3://bucket/prefix)")
	}
	if opts.Endpoint == "" {
		opts.Endpoint = "s3.amazonaws.com"
	}
	if opts.Creds == nil {
		opts.Creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{},
			&credentials.IAM{Client: &http.Client{Transport: http.DefaultTransport}},
		})
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c, err := minio.New(opts.Endpoint, &minio.Options{
		Creds: opts.Creds, Secure: !opts.Insecure, Region: opts.Region,
		Transport: transport, MaxRetries: opts.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	prefix := strings.Trim(opts.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	scheme := "https"
	if opts.Insecure {
		scheme = "http"
	}
	return &S3{
		core: minio.Core{Client: c}, bucket: opts.Bucket, prefix: prefix,
		url: fmt.Sprintf("s3://%s/%s (%s://%s)", opts.Bucket, prefix, scheme, opts.Endpoint),
	}, nil
}

func (s *S3) String() string { return s.url }

// Client exposes the underlying client for tests and tooling that must
// create buckets; the data plane goes through the Bucket methods.
func (s *S3) Client() *minio.Client { return s.core.Client }

func (s *S3) Put(ctx context.Context, key string, data []byte, cond Condition) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	opts := minio.PutObjectOptions{DisableMultipart: true, ContentType: contentType(key)}
	switch {
	case cond.IfAbsent:
		opts.SetMatchETagExcept("*")
	case cond.IfMatch != "":
		opts.SetMatchETag(cond.IfMatch)
	}
	up, err := s.core.Client.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		err = s.classify(err)
		// A CAS against a missing object is a failed precondition too.
		if cond.IfMatch != "" && errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
		}
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	mod := up.LastModified
	if mod.IsZero() {
		mod = time.Now().UTC()
	}
	return Info{Key: key, Size: int64(len(data)), ETag: strings.Trim(up.ETag, `"`), Modified: mod}, nil
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".json"):
		return "application/json"
	case strings.HasSuffix(key, ".parquet"):
		return "application/vnd.apache.parquet"
	}
	return "application/octet-stream"
}

func (s *S3) info(key string, oi minio.ObjectInfo) Info {
	return Info{Key: key, Size: oi.Size, ETag: strings.Trim(oi.ETag, `"`), Modified: oi.LastModified.UTC()}
}

func (s *S3) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	var opts minio.GetObjectOptions
	if ifNoneMatch != "" {
		if err := opts.SetMatchETagExcept(ifNoneMatch); err != nil {
			return nil, Info{}, fmt.Errorf("get %s: %w", key, err)
		}
	}
	rc, oi, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, opts)
	if err != nil {
		return nil, Info{}, fmt.Errorf("get %s: %w", key, s.classify(err))
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, Info{}, fmt.Errorf("get %s: %w", key, s.classify(err))
	}
	if oi.Size >= 0 && int64(len(data)) != oi.Size {
		return nil, Info{}, fmt.Errorf("get %s: short body (%d of %d bytes): %w", key, len(data), oi.Size, ErrUnavailable)
	}
	return data, s.info(key, oi), nil
}

func (s *S3) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("get %s: negative range %d+%d", key, off, n)
	}
	if n == 0 {
		return nil, nil
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	rc, _, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "InvalidRange" {
			return nil, nil // offset at or past the end
		}
		return nil, fmt.Errorf("get %s: %w", key, s.classify(err))
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, s.classify(err))
	}
	return data, nil
}

func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.core.Client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, s.classify(err))
	}
	return s.info(key, oi), nil
}

func (s *S3) List(ctx context.Context, prefix, startAfter string, limit int) ([]Info, bool, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	after := ""
	if startAfter != "" {
		after = s.prefix + startAfter
	}
	// Core.ListObjectsV2 takes no context; bound it by a goroutine.
	type result struct {
		r   minio.ListBucketV2Result
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := s.core.ListObjectsV2(s.bucket, s.prefix+prefix, after, "", "", limit)
		ch <- result{r, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("list %s: %w", prefix, ctx.Err())
	}
	if res.err != nil {
		return nil, false, fmt.Errorf("list %s: %w", prefix, s.classify(res.err))
	}
	page := make([]Info, 0, len(res.r.Contents))
	for _, oi := range res.r.Contents {
		page = append(page, s.info(strings.TrimPrefix(oi.Key, s.prefix), oi))
	}
	return page, res.r.IsTruncated, nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.core.Client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		err = s.classify(err)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// classify maps S3 responses and transport failures onto the package's
// error kinds, keeping the original error for the message.
func (s *S3) classify(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey" || resp.Code == "NoSuchBucket":
		return fmt.Errorf("%w: %s", ErrNotFound, resp.Message)
	case resp.StatusCode == http.StatusPreconditionFailed || resp.Code == "PreconditionFailed":
		return fmt.Errorf("%w: %s", ErrPreconditionFailed, resp.Message)
	case resp.StatusCode == http.StatusNotModified:
		return ErrNotModified
	case resp.StatusCode == http.StatusConflict && resp.Code == "ConditionalRequestConflict":
		return fmt.Errorf("%w: %s", ErrPreconditionFailed, resp.Message)
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s %s", ErrUnavailable, resp.Code, resp.Message)
	case resp.StatusCode == 0: // no HTTP response: network, DNS, timeout
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
