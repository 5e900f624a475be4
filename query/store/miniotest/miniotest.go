// Package miniotest runs a real MinIO server for tests: the pinned build that
// scripts/tools/install puts in the per-user cache, on a free 127.0.0.1
// port with a temporary data directory, stopped when the test ends.
//
// A missing binary fails the test with the command that installs it; these
// tests never skip.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/atlhyper/atlhyper/query/store"

	"github.com/atlhyper/atlhyper/internal/toolbin"
)

const (
	AccessKey = "atlhyper-test"
	SecretKey = "atlhyper-test-secret"
)

// Server is one running MinIO.
type Server struct {
	Endpoint string // 127.0.0.1:port
	dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
	t        testing.TB
}

// Binary returns the MinIO binary the tests use.
func Binary() string {
	return toolbin.Path("ATLHYPER_MINIO", "minio")
}

// Start starts a MinIO server that lives until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("MinIO binary %s not found (%v): run scripts/tools/install minio (scripts/test does)", bin, err)
	}
	s := &Server{dir: t.TempDir(), t: t}
	s.start(t)
	t.Cleanup(s.Stop)
	return s
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	if s.Endpoint == "" {
		s.Endpoint = freePort(t)
	}
	console := freePort(t)
	logf, err := os.OpenFile(filepath.Join(s.dir, "minio.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Binary(), "server", "--quiet", "--address", s.Endpoint, "--console-address", console, filepath.Join(s.dir, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=on")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	logf.Close()
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + s.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			// Ready can answer before the object layer is: only an S3
			// call that succeeds says the server takes requests
			// ("Server not initialized yet" otherwise).
			if resp.StatusCode == http.StatusOK && s.answers() {
				return
			}
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "minio.log"))
			t.Fatalf("minio exited during start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("minio not ready on %s after 60s", s.Endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answers reports whether the server answers an authenticated S3 request.
func (s *Server) answers() bool {
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Secure: false})
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.ListBuckets(ctx)
	return err == nil
}

// Stop kills the server (data stays, so Restart brings it back).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Restart starts the server again on the same port and data directory.
func (s *Server) Restart(t testing.TB) {
	s.Stop()
	s.start(t)
}

// Client returns an admin client for the server.
func (s *Server) Client(t testing.TB) *minio.Client {
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var seq atomic.Int64

// NewBucket creates a fresh bucket and returns a store on it, under a prefix
// so that the prefix handling is exercised too.
func (s *Server) NewBucket(t testing.TB) *store.S3 {
	t.Helper()
	name := s.CreateBucket(t)
	b, err := store.NewS3(store.S3Options{
		Bucket: name, Prefix: "lake", Endpoint: s.Endpoint, Insecure: true, Region: "us-east-1",
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CreateBucket makes an empty bucket with a unique name.
func (s *Server) CreateBucket(t testing.TB) string {
	t.Helper()
	var rnd [4]byte
	rand.Read(rnd[:])
	name := fmt.Sprintf("test-%d-%s", seq.Add(1), hex.EncodeToString(rnd[:]))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client(t).MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	return name
}

// URL returns the store URL of bucket/prefix on this server, with the
// credentials expected in the environment (see Env).
func (s *Server) URL(bucket, prefix string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&insecure=true&region=us-east-1", bucket, strings.Trim(prefix, "/"), s.Endpoint)
}

// Env is the environment a child process needs to reach this server.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey, "AWS_REGION=us-east-1"}
}

// Run starts MinIO outside a test (benchmarks) with its data in dir and
// one bucket made, and returns its endpoint and how to stop it.
func Run(dir, bucket string) (endpoint string, stop func(), err error) {
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		return "", nil, fmt.Errorf("MinIO binary %s missing: run scripts/tools/install minio", bin)
	}
	port := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return l.Addr().String()
	}
	endpoint, console := port(), port()
	cmd := exec.Command(bin, "server", "--quiet", "--address", endpoint, "--console-address", console, filepath.Join(dir, "minio"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey, "MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=on")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("minio not ready after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, "")})
	if err != nil {
		stop()
		return "", nil, err
	}
	if err := c.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		stop()
		return "", nil, err
	}
	return endpoint, stop, nil
}
