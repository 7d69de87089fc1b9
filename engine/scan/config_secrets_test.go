package scan

import (
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/types"
)

func secretConfig(t *testing.T) analyze.Config {
	t.Helper()
	as, err := analyze.SecretAnalyzers(nil)
	if err != nil {
		t.Fatal(err)
	}
	return analyze.Config{Analyzers: as}
}

// TestConfigSecretsManyEnv: 200k ENV entries (past 300 s before) give the
// first 100 secrets and an issue for the rest.
func TestConfigSecretsManyEnv(t *testing.T) {
	cf := &v1.ConfigFile{}
	for i := range 200000 {
		cf.Config.Env = append(cf.Config.Env, fmt.Sprintf("password=Wq8#zLm2!p%06d", i))
	}
	res, masked := configSecrets(&types.Image{Config: cf}, secretConfig(t))
	if len(res.Secrets) != 1 || len(res.Secrets[0].Findings) != 100 || res.Secrets[0].FilePath != ConfigPath {
		t.Fatalf("secrets: %d files", len(res.Secrets))
	}
	// Every secret is masked in the config the report carries, not only
	// the 100 reported; the image's own config is left as it was.
	n := 0
	for i, e := range masked.Config.Env {
		if e != cf.Config.Env[i] {
			n++
			if want := "password=" + strings.Repeat("*", len(e)-len("password=")); e != want {
				t.Fatalf("masked %q", e)
			}
		}
	}
	if n < 100_000 || !strings.HasPrefix(cf.Config.Env[199999], "password=Wq8") {
		t.Errorf("%d entries masked of 200,000; original last entry %q", n, cf.Config.Env[199999])
	}
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "more than 100 secrets") {
		t.Errorf("issues: %+v", res.Issues)
	}
}

// TestConfigSecretsOverCap: a config over the secret scan's size limit as
// text is searched up to it, with an issue for the entries left out,
// rather than not at all.
func TestConfigSecretsOverCap(t *testing.T) {
	cf := &v1.ConfigFile{}
	cf.Config.Env = []string{"GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}
	for range 12 {
		cf.History = append(cf.History, v1.History{CreatedBy: "RUN " + strings.Repeat("x", 1<<20)})
	}
	cf.Config.Labels = map[string]string{"b": "2", "a": "1"}
	res, _ := configSecrets(&types.Image{Config: cf}, secretConfig(t))
	if len(res.Secrets) != 1 || res.Secrets[0].Findings[0].RuleID != "github-pat" {
		t.Fatalf("secrets: %+v", res.Secrets)
	}
	if len(res.Issues) != 1 || !strings.Contains(res.Issues[0].Reason, "3 of its entries are not searched") {
		t.Errorf("issues: %+v", res.Issues)
	}
}
