package plugin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docker-scan/docker-scan/engine/db"
)

// Trivy's settings, so that a team's trivy.yaml and TRIVY_* variables work
// as they are. Trivy nests its config-file keys by section (pkg.types,
// scan.scanners) and names its variables after its flags (TRIVY_PKG_TYPES);
// both have had other names, which it still reads.

// trivySetting is one of Trivy's settings.
type trivySetting struct {
	// key is the config-file key, dotted: "pkg.types".
	key string
	// oldKeys are earlier names of the key that Trivy still reads.
	oldKeys []string
	// flag is Trivy's flag, whose TRIVY_<FLAG> variable sets it; empty
	// for file-only settings.
	flag string
	// oldFlags are earlier flag names whose variables still work.
	oldFlags []string
	// ours is the flag of docker scan that does the same; empty when
	// docker scan does not implement the setting (nor when the flag is not
	// in this build's command tree).
	ours string
	// def is Trivy's default when it is not a zero value: a setting left
	// at its default asks for nothing, so it is not reported as ignored.
	def string
	// moot: the setting cannot change what docker scan reports (update
	// checks, telemetry, Trivy's own parallelism, a DB docker scan does not
	// use), so it is ignored without a warning.
	moot bool
}

// trivySettings are the settings of `trivy image` and its global flags,
// with what each is here: from Trivy's flag definitions, with the older
// names that Trivy still reads.
var trivySettings = []trivySetting{
	// Global.
	{key: "quiet", flag: "quiet", ours: "quiet"},
	{key: "debug", flag: "debug", ours: "debug"},
	{key: "insecure", flag: "insecure", ours: "insecure"},
	{key: "timeout", flag: "timeout", ours: "timeout"},
	{key: "cache.dir", oldKeys: []string{"cache-dir"}, flag: "cache-dir", ours: "cache-dir"},
	{key: "config", flag: "config", moot: true}, // read before the file, see loadConfigFile
	{key: "generate-default-config", flag: "generate-default-config"},
	{key: "version", flag: "version", moot: true},

	// Cache.
	{key: "cache.backend", flag: "cache-backend", ours: "cache-backend", def: "fs"},
	{key: "cache.ttl", flag: "cache-ttl", ours: "cache-ttl"},
	{key: "cache.clear", flag: "clear-cache"},
	{key: "cache.redis.tls", flag: "redis-tls", ours: "redis-tls"},
	{key: "cache.redis.ca", flag: "redis-ca", ours: "redis-ca"},
	{key: "cache.redis.cert", flag: "redis-cert", ours: "redis-cert"},
	{key: "cache.redis.key", flag: "redis-key", ours: "redis-key"},

	// Vulnerability DB.
	{key: "db.skip-update", flag: "skip-db-update", oldFlags: []string{"skip-update"}, ours: "skip-db-update"},
	{key: "db.repository", flag: "db-repository", ours: "db-repository"},
	{key: "db.no-progress", flag: "no-progress", ours: "no-progress", moot: true},
	{key: "db.download-only", flag: "download-db-only"},
	{key: "db.download-java-only", flag: "download-java-db-only"},
	{key: "db.java-skip-update", flag: "skip-java-db-update", moot: true},
	{key: "db.java-repository", flag: "java-db-repository", moot: true},
	{key: "db.light", flag: "light", moot: true},
	{key: "reset", flag: "reset"},

	// Image.
	{key: "image.input", flag: "input", ours: "input"},
	{key: "image.platform", flag: "platform", ours: "platform"},
	{key: "image.docker.host", flag: "docker-host", ours: "docker-host"},
	{key: "image.podman.host", flag: "podman-host", ours: "podman-host"},
	{key: "image.source", flag: "image-src", ours: "image-src"},
	{key: "image.removed-pkgs", flag: "removed-pkgs"},
	{key: "image.image-config-scanners", flag: "image-config-scanners", ours: "image-config-scanners"},
	{key: "image.max-size", flag: "max-image-size"},

	// Report.
	{key: "format", flag: "format", ours: "format", def: "table"},
	{key: "report", flag: "report", def: "all"},
	{key: "template", flag: "template", ours: "template"},
	{key: "dependency-tree", flag: "dependency-tree", ours: "dependency-tree"},
	{key: "list-all-pkgs", flag: "list-all-pkgs", ours: "list-all-pkgs"},
	{key: "ignorefile", flag: "ignorefile", ours: "ignorefile", def: ".trivyignore"},
	{key: "ignore-policy", flag: "ignore-policy"},
	{key: "exit-code", flag: "exit-code", ours: "exit-code"},
	{key: "exit-on-eol", flag: "exit-on-eol", ours: "exit-on-eol"},
	{key: "output", flag: "output", ours: "output"},
	{key: "output-plugin-arg", flag: "output-plugin-arg"},
	{key: "severity", flag: "severity", ours: "severity", def: "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"},
	{key: "table-mode", flag: "table-mode", ours: "table-mode", def: "summary,detailed"},
	{key: "scan.compliance", flag: "compliance"},
	{key: "scan.show-suppressed", flag: "show-suppressed", ours: "show-suppressed"},

	// Scan.
	{key: "scan.skip-dirs", flag: "skip-dirs", ours: "skip-dirs"},
	{key: "scan.skip-files", flag: "skip-files", ours: "skip-files"},
	{key: "scan.only-dirs", flag: "only-dirs"},
	{key: "scan.offline", oldKeys: []string{"scan.offline-scan"}, flag: "offline-scan", ours: "offline-scan"},
	{key: "scan.scanners", oldKeys: []string{"scan.security-checks"}, flag: "scanners", oldFlags: []string{"security-checks"}, ours: "scanners", def: "vuln,secret"},
	{key: "scan.file-patterns", flag: "file-patterns"},
	{key: "scan.slow", flag: "slow", moot: true},
	{key: "scan.parallel", flag: "parallel", moot: true},
	{key: "scan.sbom-sources", flag: "sbom-sources", ours: "sbom-sources"},
	{key: "scan.rekor-url", flag: "rekor-url", moot: true},
	{key: "scan.detection-priority", flag: "detection-priority", ours: "detection-priority", def: "precise"},
	{key: "scan.distro", flag: "distro", ours: "distro"},
	{key: "scan.skip-version-check", flag: "skip-version-check", moot: true},
	{key: "scan.disable-telemetry", flag: "disable-telemetry", moot: true},

	// Packages.
	{key: "pkg.types", oldKeys: []string{"vulnerability.type"}, flag: "pkg-types", oldFlags: []string{"vuln-type"}, ours: "pkg-types", def: "os,library"},
	{key: "pkg.include-dev-deps", flag: "include-dev-deps"},
	{key: "pkg.relationships", flag: "pkg-relationships", def: "unknown,root,workspace,direct,indirect"},

	// Vulnerabilities.
	{key: "vulnerability.ignore-unfixed", flag: "ignore-unfixed", ours: "ignore-unfixed"},
	{key: "vulnerability.ignore-status", flag: "ignore-status", ours: "ignore-status"},
	{key: "vulnerability.vex", flag: "vex", ours: "vex"},
	{key: "vulnerability.skip-vex-repo-update", flag: "skip-vex-repo-update", moot: true},
	{key: "vulnerability.severity-source", flag: "vuln-severity-source", def: "auto"},

	// Secrets.
	{key: "secret.config", flag: "secret-config", ours: "secret-config", def: "trivy-secret.yaml"},

	// Licences.
	{key: "license.full", flag: "license-full", ours: "license-full"},
	{key: "license.ignored", flag: "ignored-licenses", ours: "ignored-licenses"},
	{key: "license.confidenceLevel", flag: "license-confidence-level", ours: "license-confidence-level", def: "0.9"},
	{key: "license.forbidden", ours: "license-forbidden"},
	{key: "license.restricted", ours: "license-restricted"},
	{key: "license.reciprocal", ours: "license-reciprocal"},
	{key: "license.notice", ours: "license-notice"},
	{key: "license.permissive", ours: "license-permissive"},
	{key: "license.unencumbered", ours: "license-unencumbered"},

	// Custom misconfiguration checks (Rego).
	{key: "rego.check", flag: "config-check", oldFlags: []string{"policy", "config-policy"}, ours: "config-check"},
	{key: "rego.namespaces", flag: "check-namespaces", oldFlags: []string{"namespaces", "policy-namespaces"}, ours: "check-namespaces"},

	// Registries: docker scan uses the Docker CLI's credentials.
	{key: "registry.username", flag: "username"},
	{key: "registry.password", flag: "password"},
	{key: "registry.token", flag: "registry-token"},
	{key: "registry.mirrors"},

	// Client/server mode.
	{key: "server.addr", flag: "server"},
	{key: "server.token", flag: "token"},
	{key: "server.token-header", flag: "token-header", def: "Trivy-Token"},
	{key: "server.custom-headers", flag: "custom-headers"},
}

// trivySections are the top-level sections of Trivy's config file; a key
// under one that the table does not list is a Trivy setting too (of a
// scanner docker scan does not have, or a newer Trivy).
var trivySections = []string{
	"cache", "clean", "cloud", "db", "image", "kubernetes", "license", "misconfiguration",
	"module", "pkg", "registry", "rego", "repository", "sbom", "scan", "secret", "server", "vulnerability",
}

var (
	trivyByKey = map[string]trivySetting{}
	// trivyEnvNames are TRIVY_* variables in the order they are read: a
	// setting's current flag name before its old ones.
	trivyEnvNames []string
	trivyByEnv    = map[string]trivySetting{}
)

func init() {
	for _, s := range trivySettings {
		for _, k := range append([]string{s.key}, s.oldKeys...) {
			trivyByKey[k] = s
		}
		if s.flag == "" {
			continue
		}
		for _, f := range append([]string{s.flag}, s.oldFlags...) {
			name := trivyEnvName(f)
			trivyEnvNames = append(trivyEnvNames, name)
			trivyByEnv[name] = s
		}
	}
}

// trivyEnvName is the variable of a Trivy flag: TRIVY_PKG_TYPES.
func trivyEnvName(flag string) string {
	return "TRIVY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// asks reports whether a Trivy setting's value asks for something: it is
// not the setting's default (nor a zero value, Trivy's default when none
// is listed).
func (s trivySetting) asks(value string) bool {
	switch value {
	case "", "false", "0", "0s", s.def:
		return false
	}
	return true
}

// trivySection reports whether a dotted key is in one of Trivy's sections.
func trivySection(key string) bool {
	section, _, nested := strings.Cut(key, ".")
	return nested && slices.Contains(trivySections, section)
}

// trivyScannerNames are Trivy's scanners and the other names it accepts
// for them, by the name docker scan would use.
var trivyScannerNames = map[string]string{
	"vuln": "vuln", "vulnerability": "vuln", "secret": "secret",
	"misconfig": "misconfig", "misconf": "misconfig", "misconfiguration": "misconfig", "config": "misconfig",
	"license": "license",
	// Trivy's Kubernetes scanner (RBAC settings), of trivy k8s.
	"rbac": "rbac",
}

// fromTrivy turns a Trivy value for one of our flags into ours. It returns
// what it left out, for a warning: Trivy's scanners docker scan does not
// have are dropped rather than failing a config written for Trivy, unless
// nothing is left to scan for.
func fromTrivy(flag, value string) (string, []string, error) {
	switch flag {
	case "scanners":
		return trivyScanners(value)
	case "db-repository":
		// Trivy reads a DB repository without a tag as the schema
		// version's tag (old configs name mirrors that way), not :latest.
		repos := splitList(value)
		for i, r := range repos {
			last := r[strings.LastIndex(r, "/")+1:]
			if !strings.Contains(r, "@") && !strings.Contains(last, ":") {
				repos[i] = fmt.Sprintf("%s:%d", r, db.SchemaVersion)
			}
		}
		return strings.Join(repos, ","), nil, nil
	}
	return value, nil, nil
}

func trivyScanners(value string) (string, []string, error) {
	var kept, dropped []string
	for _, s := range splitList(value) {
		name, isTrivy := trivyScannerNames[strings.ToLower(s)]
		switch {
		case !isTrivy:
			kept = append(kept, s) // left for --scanners to reject by name
		case slices.Contains(scannerNames, name):
			if !slices.Contains(kept, name) {
				kept = append(kept, name)
			}
		case !slices.Contains(dropped, name):
			dropped = append(dropped, name)
		}
	}
	if len(kept) == 0 && len(dropped) > 0 {
		return "", nil, fmt.Errorf("scanners %s: docker scan does not implement them, so nothing is left to scan for (it has %s)", strings.Join(dropped, ", "), strings.Join(scannerNames, ", "))
	}
	return strings.Join(kept, ","), dropped, nil
}
