package redact

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// secretCorpus: each line holds a secret (secret) in some context (the
// rest of the line), in the shapes that turn up in log lines, args and
// annotations. The secret must go; the context must stay.
var secretCorpus = []struct{ name, line, secret string }{
	{"aws access key id", "uploading with AKIAZ7TESTONLYKEY123 to s3://bucket", "AKIAZ7TESTONLYKEY123"},
	{"aws temporary key id", "creds ASIAY3TESTONLYKEY456 expire at 12:00", "ASIAY3TESTONLYKEY456"},
	{"aws secret key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTONLYKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTONLYKEY"},
	{"aws secret key (env)", "AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTONLYKEY'", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTONLYKEY"},
	{"gcp api key", "maps key AIzaSyTestOnly0123456789abcdefghijklmno in use", "AIzaSyTestOnly0123456789abcdefghijklmno"},
	{"gcp oauth token", "token ya29.a0AfH6SMBtestonlytokenvalue1234567890 refreshed", "ya29.a0AfH6SMBtestonlytokenvalue1234567890"},
	{"gcp service account key", `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7testonly\n-----END PRIVATE KEY-----\n", "client_email": "sa@p.iam.gserviceaccount.com"}`,
		`-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7testonly\n-----END PRIVATE KEY-----\n`},
	{"azure storage key", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + strings.Repeat("Ab3+", 22) + ";EndpointSuffix=core.windows.net",
		strings.Repeat("Ab3+", 22)},
	{"azure sas", "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-12-31&sig=abcdEFGH1234%2Bijkl5678mnopQRST%3D 200",
		"abcdEFGH1234%2Bijkl5678mnopQRST%3D"},
	{"azure client secret", "AZURE_CLIENT_SECRET=Xy8Q~testonly.secret-value_123 loaded", "Xy8Q~testonly.secret-value_123"},
	{"github classic token", "git clone with ghp_TestOnly0123456789abcdefghijklmnopqrstu ok", "ghp_TestOnly0123456789abcdefghijklmnopqrstu"},
	{"github fine-grained token", "GH=github_pat_11TESTONLY0123456789_abcdefghijklmnopqrstuvwxyz done", "github_pat_11TESTONLY0123456789_abcdefghijklmnopqrstuvwxyz"},
	{"slack bot token", "posting with xoxb-1234567890-0987654321-TestOnlyTokenValue", "xoxb-1234567890-0987654321-TestOnlyTokenValue"},
	{"slack webhook", "notify https://hooks.slack.com/services/T0TESTONLY/B0TESTONLY/TestOnlyWebhookSecret42 failed", "T0TESTONLY/B0TESTONLY/TestOnlyWebhookSecret42"},
	{"jwt", "session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U accepted",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
	{"pem rsa key", "loaded key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtestonlyRSAkeymaterial0123456789\nabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH\n-----END RSA PRIVATE KEY-----\nstarting",
		"MIIEowIBAAKCAQEAtestonlyRSAkeymaterial0123456789\nabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"},
	{"pem openssh key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtestonly\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAAtestonly"},
	{"pem key cut by the tail", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBtestonlyECkeymaterial", "MHcCAQEEIBtestonlyECkeymaterial"},
	{"postgres url", "connecting to postgres://app:s3cr3tP4ss@db.internal:5432/app?sslmode=require", "s3cr3tP4ss"},
	{"redis url, no user", "cache redis://:hunter2xyz@cache:6379/0 up", "hunter2xyz"},
	{"amqp url", "broker amqps://guest:Gu3stPassw0rd@mq:5671/vhost", "Gu3stPassw0rd"},
	{"mysql dsn", "dsn app:Sup3rS3cret@tcp(mysql:3306)/shop?parseTime=true", "Sup3rS3cret"},
	{"postgres keyword dsn", "host=db user=app password=Sup3rS3cret dbname=shop sslmode=disable", "Sup3rS3cret"},
	{"jdbc", "jdbc:sqlserver://db:1433;user=sa;password=Sup3rS3cret;encrypt=true", "Sup3rS3cret"},
	{"bearer header", "GET /api Authorization: Bearer abcdef0123456789abcdef 401", "abcdef0123456789abcdef"},
	{"basic header", "proxy Authorization: Basic YWRtaW46c2VjcmV0 sent", "YWRtaW46c2VjcmV0"},
	{"curl bearer", `curl -H "Authorization: Bearer sk_live_0123456789abcdefTESTONLY" https://api`, "sk_live_0123456789abcdefTESTONLY"},
	{"shell export", "export DB_PASSWORD='p@ss w0rd 42'; ./run", "p@ss w0rd 42"},
	{"json api key", `{"user": "bob", "api_key": "abcd1234efgh5678", "ok": true}`, "abcd1234efgh5678"},
	{"yaml token", "  token: 9f8e7d6c5b4a3b2c", "9f8e7d6c5b4a3b2c"},
	{"client secret flag", "--client-secret=Sh0uldN0tB3Seen", "Sh0uldN0tB3Seen"},
	{"curl user", "curl -u admin:Adm1nPw http://localhost/drain", "Adm1nPw"},
}

// lookAlikes look like secrets to a careless detector and must stay
// readable, unchanged.
var lookAlikes = []string{
	"pod uid 123e4567-e89b-12d3-a456-426614174000 scheduled",
	"pulled nginx@sha256:0f7d7e4e5c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f",
	"pod web-7d9f8c6b5-x2x9k in replica set web-7d9f8c6b5",
	"commit 3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a built",
	"payload aGVsbG8gd29ybGQsIHRoaXMgaXMgcGxhaW4gdGV4dA== decoded",
	"fetching https://user@example.com/path?x=1 and http://example.com:8080/a@b",
	"see https://docs.example.com/auth/password-reset for help",
	"password_min_length=12 max_tokens=512 tokens_used: 42",
	"secretName: db-credentials secret-name=db-credentials",
	"cache_key=user:42 monkey=banana primary_key=id",
	"assumed arn:aws:iam::123456789012:role/app",
	"mail bob@example.com or mailto:alice@example.com",
	"the bearer of this message is trusted",
	"header eyJhbGciOiJub25lIn0 only",
	"GET /healthz 200 12ms",
	"password: \"\"",
	"level=info msg=\"login failed\" user=bob reason=bad_password",
	"AKIA is the prefix of an access key id",
}

func TestSecretCorpus(t *testing.T) {
	SetPolicy(Policy{})
	for _, c := range secretCorpus {
		got := Text(c.line)
		if strings.Contains(got, c.secret) {
			t.Errorf("%s: secret kept: %s", c.name, got)
			continue
		}
		if !strings.Contains(got, Mask) {
			t.Errorf("%s: nothing masked: %s", c.name, got)
		}
		// The rest of the line stays: every word of the context without
		// the secret is still there, and so is the number of lines.
		for _, w := range strings.Fields(strings.Replace(c.line, c.secret, " ", 1)) {
			if len(w) > 3 && !strings.Contains(w, "-----") && !strings.Contains(got, w) && !strings.Contains(w, "\\n") {
				t.Errorf("%s: context %q lost: %s", c.name, w, got)
			}
		}
		if strings.Count(got, "\n") > strings.Count(c.line, "\n") {
			t.Errorf("%s: lines added: %q", c.name, got)
		}
	}
}

func TestLookAlikes(t *testing.T) {
	SetPolicy(Policy{})
	for _, s := range lookAlikes {
		if got := Text(s); got != s {
			t.Errorf("changed a look-alike:\n %s\n %s", s, got)
		}
	}
}

func TestLogTailKeepsLines(t *testing.T) {
	SetPolicy(Policy{})
	tail := "2026-12-06T10:00:00Z starting\n2026-12-06T10:00:01Z connecting to postgres://app:s3cr3t@db/app\n2026-12-06T10:00:02Z panic: boom\n"
	got := Text(tail)
	want := "2026-12-06T10:00:00Z starting\n2026-12-06T10:00:01Z connecting to postgres://app:" + Mask + "@db/app\n2026-12-06T10:00:02Z panic: boom\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
}

func TestArgs(t *testing.T) {
	SetPolicy(Policy{})
	args := []string{"--password=hunter2", "--db-password", "hunter3", "--user=admin", "--token", "--verbose", "--api-key=",
		"--dsn=postgres://u:p4ssw0rd@h/db", "PGPASSWORD=S3cret psql -h db", "--password-file=/etc/pw", "serve"}
	Args(args)
	want := []string{"--password=" + Mask, "--db-password", Mask, "--user=admin", "--token", "--verbose", "--api-key=",
		"--dsn=postgres://u:" + Mask + "@h/db", "PGPASSWORD=" + Mask + " psql -h db", "--password-file=/etc/pw", "serve"}
	for i := range want {
		if args[i] != want[i] {
			t.Errorf("arg %d: %q, want %q", i, args[i], want[i])
		}
	}
}

func TestObjects(t *testing.T) {
	SetPolicy(Policy{})
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz",
		HTTPHeaders: []corev1.HTTPHeader{{Name: "Authorization", Value: "Bearer probe-secret-123456"}, {Name: "X-Api-Key", Value: "k-0123"},
			{Name: "Host", Value: "app.example.com"}}}}}
	c := corev1.Container{Name: "app", Image: "app:1", Command: []string{"/app", "--token", "t0k3n-value"}, Args: []string{"--client-secret=abc123xyz"},
		LivenessProbe: probe, Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "curl -u admin:Adm1nPw http://localhost/drain"}}}}}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app", Annotations: map[string]string{
		"kapp.k14s.io/original":                            `{"spec":{"env":[{"value":"literal"}]}}`,
		"kapp.k14s.io/original-diff":                       `[...]`,
		"kubectl.kubernetes.io/last-applied-configuration": `{...}`,
		"example.com/last-applied-state":                   `{...}`,
		"objectset.rio.cattle.io/applied":                  `H4sIAAAA...`,
		"kubernetes.io/change-cause":                       "kubectl set env deploy/app DB_PASSWORD=Hunter22",
		"deployment.kubernetes.io/revision":                "7",
	}}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}}
	Object(d)
	a := d.Annotations
	if len(a) != 2 || a["deployment.kubernetes.io/revision"] != "7" || a["kubernetes.io/change-cause"] != "kubectl set env deploy/app DB_PASSWORD="+Mask {
		t.Fatalf("annotations %v", a)
	}
	got := d.Spec.Template.Spec.Containers[0]
	h := got.LivenessProbe.HTTPGet.HTTPHeaders
	if got.Command[2] != Mask || got.Args[0] != "--client-secret="+Mask || h[0].Value != Mask || h[1].Value != Mask || h[2].Value != "app.example.com" ||
		strings.Contains(strings.Join(got.Lifecycle.PreStop.Exec.Command, " "), "Adm1nPw") {
		t.Fatalf("container %+v, headers %+v", got, h)
	}
}

// TestOptOut: with redaction off for the cluster, everything is kept.
func TestOptOut(t *testing.T) {
	SetPolicy(Policy{Disabled: true})
	defer SetPolicy(Policy{})
	line := "postgres://app:s3cr3t@db/app"
	if Text(line) != line {
		t.Fatal("masked with redaction off")
	}
	args := []string{"--password=x"}
	Args(args)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"kapp.k14s.io/original": "{}"}}}
	Object(pod)
	if args[0] != "--password=x" || len(pod.Annotations) != 1 {
		t.Fatalf("changed with redaction off: %v %v", args, pod.Annotations)
	}
}

func FuzzText(f *testing.F) {
	for _, c := range secretCorpus {
		f.Add(c.line)
	}
	for _, s := range lookAlikes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		SetPolicy(Policy{})
		got := Text(s)
		if strings.Count(got, "\n") > strings.Count(s, "\n") {
			t.Fatalf("lines added: %q -> %q", s, got)
		}
		if Text(got) != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, Text(got))
		}
	})
}
