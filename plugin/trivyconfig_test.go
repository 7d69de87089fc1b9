package plugin

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The table is consistent: no key, old key or variable is listed twice,
// and every flag it maps to exists (template is mapped ahead of a
// --template flag: until there is one, it is reported as not implemented).
func TestTrivyTable(t *testing.T) {
	known := treeFlags(NewRootCommand("docker-scan", Hooks{}))
	keys, envs := map[string]bool{}, map[string]bool{}
	for _, s := range trivySettings {
		for _, k := range append([]string{s.key}, s.oldKeys...) {
			if keys[k] {
				t.Errorf("key %s listed twice", k)
			}
			keys[k] = true
		}
		for _, f := range append([]string{s.flag}, s.oldFlags...) {
			if f == "" {
				continue
			}
			if envs[trivyEnvName(f)] {
				t.Errorf("variable %s listed twice", trivyEnvName(f))
			}
			envs[trivyEnvName(f)] = true
		}
		if s.ours != "" && s.ours != "template" && !known[s.ours] {
			t.Errorf("%s maps to --%s, which no command has", s.key, s.ours)
		}
	}
	if trivyEnvName("vuln-type") != "TRIVY_VULN_TYPE" {
		t.Errorf("trivyEnvName(vuln-type) = %s", trivyEnvName("vuln-type"))
	}
}

func TestFromTrivyScanners(t *testing.T) {
	tests := []struct {
		in, want, dropped, err string
	}{
		{in: "vuln,secret", want: "vuln,secret"},
		{in: "vulnerability", want: "vuln"},
		{in: "vuln,vulnerability", want: "vuln"},
		{in: "vuln,misconfig,license", want: "vuln,misconfig,license"},
		{in: "vuln,rbac", want: "vuln", dropped: "rbac"},
		{in: "secret,config,misconf", want: "secret,misconfig"},
		{in: "none", want: "none"},
		{in: "bogus", want: "bogus"}, // for --scanners to reject by name
		{in: "rbac", err: "nothing is left to scan for"},
	}
	for _, tt := range tests {
		got, dropped, err := fromTrivy("scanners", tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || strings.Join(dropped, ",") != tt.dropped {
			t.Errorf("%s: %q, dropped %v, %v; want %q, dropped %s", tt.in, got, dropped, err, tt.want, tt.dropped)
		}
	}
	if got, _, _ := fromTrivy("db-repository", "mirror.example.com:5000/aquasec/trivy-db,ghcr.io/aquasecurity/trivy-db:2,r.example/db@sha256:0123"); got != "mirror.example.com:5000/aquasec/trivy-db:2,ghcr.io/aquasecurity/trivy-db:2,r.example/db@sha256:0123" {
		t.Errorf("a DB repository without a tag gets the schema version's, as in Trivy: %q", got)
	}
	if got, _, _ := fromTrivy("severity", "HIGH,CRITICAL"); got != "HIGH,CRITICAL" {
		t.Errorf("other flags are passed through: %q", got)
	}
}

func loadFile(t *testing.T, name, text string) (configFile, error) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	root := NewRootCommand("docker-scan", Hooks{})
	return loadConfigFile(root, treeFlags(root))
}

func TestTrivyConfigKeys(t *testing.T) {
	cf, err := loadFile(t, "trivy.yaml", `
severity: HIGH,CRITICAL
timeout: 10m
cache: {dir: /c, backend: fs, ttl: 1h, redis: {tls: false}}
db: {skip-update: true, repository: [a.example/db:2, b.example/db:2], no-progress: true, java-repository: [j.example/java-db:1]}
image: {docker: {host: unix:///d.sock}, source: [docker, remote], platform: linux/arm64, removed-pkgs: true}
vulnerability: {type: [os], ignore-unfixed: true, ignore-status: [will_not_fix]}
scan: {security-checks: [vuln], offline-scan: true, skip-dirs: [/usr], parallel: 5, sbom-sources: [oci]}
secret: {config: s.yaml}
list-all-pkgs: true
exit-on-eol: 3
report: all
misconfiguration: {include-non-failures: true, terraform: {vars: []}}
rego: {}
unknown-thing: 1
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"severity": "HIGH,CRITICAL", "timeout": "10m", "cache-dir": "/c", "cache-backend": "fs", "cache-ttl": "1h", "redis-tls": "false",
		"skip-db-update": "true", "db-repository": "a.example/db:2,b.example/db:2", "no-progress": "true",
		"docker-host": "unix:///d.sock", "image-src": "docker,remote", "platform": "linux/arm64",
		"pkg-types": "os", "ignore-unfixed": "true", "ignore-status": "will_not_fix",
		"scanners": "vuln", "offline-scan": "true", "skip-dirs": "/usr", "secret-config": "s.yaml",
		"list-all-pkgs": "true", "exit-on-eol": "3", "sbom-sources": "oci",
	}
	for flag, v := range want {
		if got := cf.values[flag].value; got != v {
			t.Errorf("--%s = %q (from %q), want %q", flag, got, cf.values[flag].source, v)
		}
	}
	if len(cf.values) != len(want) {
		t.Errorf("%d flags set, want %d: %v", len(cf.values), len(want), cf.values)
	}
	if cf.values["pkg-types"].source != "vulnerability.type" {
		t.Errorf("source of --pkg-types: %q", cf.values["pkg-types"].source)
	}
	// At their defaults, or moot (parallel, the Java DB), settings ask for
	// nothing; the others are named.
	if got := strings.Join(cf.ignored, ","); got != "image.removed-pkgs,misconfiguration.include-non-failures" {
		t.Errorf("ignored: %s", got)
	}
	if !cf.trivy || strings.Join(cf.unknown, ",") != "unknown-thing" {
		t.Errorf("trivy %v, unknown %v", cf.trivy, cf.unknown)
	}
}

func TestConfigKeysConflict(t *testing.T) {
	_, err := loadFile(t, "trivy.yaml", "pkg: {types: [os]}\nvulnerability: {type: [library]}\n")
	if err == nil || !strings.Contains(err.Error(), "pkg.types and vulnerability.type both set --pkg-types") {
		t.Errorf("err = %v", err)
	}
	// The same value twice is no conflict.
	if _, err := loadFile(t, "trivy.yaml", "scanners: [vuln]\nscan: {scanners: [vuln]}\n"); err != nil {
		t.Error(err)
	}
}

func TestConfigFileChoice(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	root := NewRootCommand("docker-scan", Hooks{})
	if p, _, _ := configFilePath(root); p != "" {
		t.Errorf("no file: %q", p)
	}
	os.WriteFile("trivy.yaml", nil, 0o644)
	if p, explicit, _ := configFilePath(root); p != "trivy.yaml" || explicit {
		t.Errorf("trivy.yaml alone: %q %v", p, explicit)
	}
	os.WriteFile("docker-scan.yaml", nil, 0o644)
	if p, _, shadowed := configFilePath(root); p != "docker-scan.yaml" || shadowed != "trivy.yaml" {
		t.Errorf("both: %q, shadowed %q", p, shadowed)
	}
	t.Setenv("TRIVY_CONFIG", "ci/trivy.yaml")
	if p, explicit, _ := configFilePath(root); p != "ci/trivy.yaml" || !explicit {
		t.Errorf("TRIVY_CONFIG: %q %v", p, explicit)
	}
	t.Setenv("DOCKER_SCAN_CONFIG", "ours.yaml")
	if p, _, _ := configFilePath(root); p != "ours.yaml" {
		t.Errorf("DOCKER_SCAN_CONFIG over TRIVY_CONFIG: %q", p)
	}
	root.PersistentFlags().Set("config", "flag.yaml")
	if p, _, _ := configFilePath(root); p != "flag.yaml" {
		t.Errorf("--config over both: %q", p)
	}
}

func TestTrivyEnv(t *testing.T) {
	known := treeFlags(NewRootCommand("docker-scan", Hooks{}))
	t.Setenv("TRIVY_VULN_TYPE", "os")
	t.Setenv("TRIVY_SECURITY_CHECKS", "secret")
	t.Setenv("TRIVY_SCANNERS", "vuln")
	t.Setenv("TRIVY_QUIET", "") // empty is unset, as in Trivy
	t.Setenv("TRIVY_PASSWORD", "hunter2")
	t.Setenv("TRIVY_SKIP_VERSION_CHECK", "true")
	t.Setenv("TRIVY_REPORT", "all")
	env := loadTrivyEnv(known)
	if v := env.values["pkg-types"]; v.value != "os" || v.source != "TRIVY_VULN_TYPE" {
		t.Errorf("pkg-types: %+v", v)
	}
	if v := env.values["scanners"]; v.value != "vuln" || v.source != "TRIVY_SCANNERS" {
		t.Errorf("the current name beats the old one: %+v", v)
	}
	if _, ok := env.values["quiet"]; ok {
		t.Error("an empty TRIVY_QUIET was read")
	}
	if !slices.Equal(env.ignored, []string{"TRIVY_PASSWORD"}) {
		t.Errorf("ignored: %v", env.ignored)
	}
}
