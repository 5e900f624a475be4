package ops_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// kubelet stands in for the one component envtest lacks that a log fetch
// reaches: the API server proxies GET pods/log to the node's kubelet
// (/containerLogs/<ns>/<pod>/<container>). It serves TLS with a
// certificate the API server trusts (--kubelet-certificate-authority) and
// records the queries it got.
type kubelet struct {
	srv    *httptest.Server
	caFile string

	mu      sync.Mutex
	queries []string // path?query of each request
	logs    map[string]string
}

// newKubelet makes the certificate; serve starts it.
func newKubelet(dir string) (*kubelet, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-kubelet"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		return nil, err
	}
	k := &kubelet{caFile: filepath.Join(dir, "kubelet-ca.crt"), logs: map[string]string{}}
	if err := os.WriteFile(k.caFile, certPEM, 0o600); err != nil {
		return nil, err
	}
	k.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.queries = append(k.queries, r.URL.Path+"?"+r.URL.RawQuery)
		body, ok := k.logs[r.URL.Path]
		k.mu.Unlock()
		if !ok {
			http.Error(w, "no such container", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(body))
	}))
	k.srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	k.srv.StartTLS()
	return k, nil
}

func (k *kubelet) port() int32 { return int32(k.srv.Listener.Addr().(*net.TCPAddr).Port) }

func (k *kubelet) setLog(ns, pod, container, text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.logs["/containerLogs/"+ns+"/"+pod+"/"+container] = text
}

func (k *kubelet) lastQuery(t *testing.T) string {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.queries) == 0 {
		t.Fatal("the kubelet got no request")
	}
	return k.queries[len(k.queries)-1]
}
