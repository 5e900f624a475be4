package controlplane

import (
	"context"
	"fmt"
	"os"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// UserConfig returns a config that authenticates as user (in groups) with
// a client certificate from the control plane's CA: a real identity with
// no permissions until RBAC grants some.
func (c *ControlPlane) UserConfig(user string, groups ...string) (*rest.Config, error) {
	u, err := c.env.AddUser(envtest.User{Name: user, Groups: groups}, &rest.Config{QPS: c.Config.QPS, Burst: c.Config.Burst})
	if err != nil {
		return nil, fmt.Errorf("certificate for %s: %w", user, err)
	}
	return rest.CopyConfig(u.Config()), nil
}

// Impersonate returns the admin config acting as user (in groups), as
// `kubectl --as` does. RBAC decides on the impersonated identity.
func (c *ControlPlane) Impersonate(user string, groups ...string) *rest.Config {
	cfg := rest.CopyConfig(c.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return cfg
}

// ServiceAccountConfig returns a config that authenticates with a token of
// the ServiceAccount namespace/name (created if missing), as a pod running
// under it would. The token comes from the TokenRequest API and lasts an
// hour.
func (c *ControlPlane) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if _, err := c.Kube.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create service account %s/%s: %w", namespace, name, err)
	}
	seconds := int64(time.Hour.Seconds())
	tr, err := c.Kube.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for service account %s/%s: %w", namespace, name, err)
	}
	return &rest.Config{
		Host:            c.Config.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.Config.CAData},
		BearerToken:     tr.Status.Token,
		QPS:             c.Config.QPS, Burst: c.Config.Burst,
	}, nil
}

// Kubeconfig renders cfg as a kubeconfig file, for a binary under test
// (client certificate, bearer token and impersonation carry over).
func Kubeconfig(cfg *rest.Config) ([]byte, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["controlplane"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["controlplane"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
		Impersonate: cfg.Impersonate.UserName, ImpersonateUID: cfg.Impersonate.UID,
		ImpersonateGroups: cfg.Impersonate.Groups, ImpersonateUserExtra: cfg.Impersonate.Extra,
	}
	kc.Contexts["controlplane"] = &clientcmdapi.Context{Cluster: "controlplane", AuthInfo: "controlplane"}
	kc.CurrentContext = "controlplane"
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return nil, fmt.Errorf("render kubeconfig: %w", err)
	}
	return data, nil
}

// writeUserKubeconfig writes Dir/<file>.kubeconfig for a component that
// runs as user in system:masters.
func (c *ControlPlane) writeUserKubeconfig(file, user string) (string, error) {
	cfg, err := c.UserConfig(user, "system:masters")
	if err != nil {
		return "", err
	}
	data, err := Kubeconfig(cfg)
	if err != nil {
		return "", err
	}
	path := c.path(file + ".kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
