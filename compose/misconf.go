package compose

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	ctypes "github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/docker-scan/docker-scan/engine/analyze/secret"
	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/types"
)

// composeFindingType is the Type of a compose finding, named as Trivy
// names the kinds of its checks.
const composeFindingType = "Compose Security Check"

// composeCheck is a compose check's description; what it finds is
// written in CheckProject, which sees the whole project.
func composeCheck(id, severity, title, description, resolution string) misconf.Check {
	return misconf.Check{ID: id, Type: misconf.TypeCompose, Severity: severity, Title: title, Description: description, Resolution: resolution}
}

// Checks are every compose check, by ID.
var Checks = []misconf.Check{
	composeCheck("DSC001", "HIGH", "Service runs privileged",
		"A privileged container has every capability and sees the host's devices: escaping it to the host is trivial.",
		"Remove privileged: true; grant only the capabilities the service needs with cap_add."),
	composeCheck("DSC002", "HIGH", "Docker socket mounted into the service",
		"Whoever can talk to the Docker socket can start a privileged container and so controls the host.",
		"Do not mount the Docker socket; whoever controls it controls the host. If the service must talk to Docker, use a socket proxy that allows only the calls it needs, read-only."),
	composeCheck("DSC003", "HIGH", "Service shares a host namespace",
		"Sharing the host's network, process or IPC namespace removes the isolation between the service and the host.",
		"Remove network_mode/pid/ipc: host; publish ports and use compose networks instead."),
	composeCheck("DSC004", "HIGH", "Service adds all or admin capabilities",
		"ALL and SYS_ADMIN give the container nearly the powers of root on the host.",
		"Replace cap_add: ALL or SYS_ADMIN with the specific capabilities the service needs."),
	composeCheck("DSC005", "HIGH", "Secret written as a literal in environment",
		"A secret written in a compose file ends up in version control, in `docker inspect` and in the environment of every process of the container.",
		"Move the value into a compose secret (secrets:) or an env file kept out of version control, and reference it; never commit the value."),
	composeCheck("DSC006", "MEDIUM", "Image without a pinned tag",
		"An image without a tag, or tagged latest, changes whenever it is pushed again: what runs is not what was tested.",
		"Pin the image to a version tag or digest (image: postgres:16.4 or image: postgres@sha256:...)."),
	composeCheck("DSC007", "MEDIUM", "Service runs as root",
		"A process running as root in the container is root on the host if it escapes.",
		"Set user: to a non-root UID (user: \"1000:1000\"), or make the image's USER non-root."),
	composeCheck("DSC008", "MEDIUM", "Database port published on all interfaces",
		"A database port published without a host address is reachable from every network the host is on.",
		"Bind the port to the loopback address (\"127.0.0.1:5432:5432\"), or do not publish it and reach the database over a compose network."),
	composeCheck("DSC009", "LOW", "Service others depend on has no healthcheck",
		"Without a healthcheck, depends_on waits for the service to start, not to be ready: its dependents may fail at startup.",
		"Add a healthcheck: and make dependents wait with depends_on: {SERVICE: {condition: service_healthy}}."),
}

// ImageFacts are what the checks need to know of a service's image, when
// it could be read.
type ImageFacts struct {
	User        string
	Healthcheck bool
	// Scanner: the image is docker-scan's own (its label says so), run as
	// the project's sidecar: it needs the Docker socket, read-only.
	Scanner bool
}

// ScannerLabel marks the docker-scan image (see the Dockerfile).
const ScannerLabel = "com.docker-scan.role"

var (
	secretName = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)`)
	// databaseImages are the images whose published ports are checked by
	// DSC008 (the last path element, without a tag).
	databaseImages = []string{"postgres", "postgis", "mysql", "mariadb", "mongo", "mongodb", "redis", "valkey", "memcached", "elasticsearch", "opensearch", "cassandra", "couchdb", "couchbase", "neo4j", "influxdb", "clickhouse-server", "cockroach", "rethinkdb", "mssql-server", "oracle-database", "etcd", "keydb"}
	databasePorts  = []uint32{5432, 3306, 27017, 6379, 11211, 9200, 9042, 5984, 7474, 8086, 8123, 26257, 28015, 1433, 1521, 2379}
)

// CheckProject runs every check on the selected services and returns one
// result per compose file with its findings, sorted by file and line.
// images holds the facts of the services' images that could be read, by
// service name.
func CheckProject(p *Project, services []string, images map[string]ImageFacts) []types.Result {
	loc := newLocator(p.Files)
	var found []types.Misconfiguration
	var files []string
	add := func(id, service, msg string, file string, line int) {
		c := checkByID(id)
		found = append(found, types.Misconfiguration{
			Type: composeFindingType, ID: c.ID, Title: c.Title, Description: c.Description, Message: msg,
			Resolution: c.Resolution, Severity: c.Severity, Status: "FAIL", Service: service, StartLine: line,
		})
		files = append(files, file)
	}
	dependedOn := map[string][]string{}
	for _, s := range p.Services {
		for dep := range s.DependsOn {
			// Only what depends_on says: network_mode/pid service:X add
			// dependencies of their own, with no readiness to wait for.
			if loc.dependsOnWritten(s.Name, dep) {
				dependedOn[dep] = append(dependedOn[dep], s.Name)
			}
		}
	}
	for _, name := range services {
		s, err := p.GetService(name)
		if err != nil || s.Provider != nil {
			continue
		}
		at := func(path ...string) (string, int) { return loc.where(name, path...) }
		if s.Privileged {
			f, l := at("privileged")
			add("DSC001", name, fmt.Sprintf("Service %q runs with privileged: true: it has every capability and sees the host's devices.", name), f, l)
		}
		for _, v := range s.Volumes {
			if isDockerSocket(v.Source) && !(images[name].Scanner && v.ReadOnly) {
				f, l := loc.item(name, "volumes", func(e string) bool { return strings.Contains(e, v.Source) })
				add("DSC002", name, fmt.Sprintf("Service %q mounts the Docker socket %s.", name, v.Source), f, l)
			}
		}
		for _, ns := range []struct{ key, value string }{{"network_mode", s.NetworkMode}, {"pid", s.Pid}, {"ipc", s.Ipc}} {
			if ns.value == "host" {
				f, l := at(ns.key)
				add("DSC003", name, fmt.Sprintf("Service %q uses %s: host.", name, ns.key), f, l)
			}
		}
		for _, c := range s.CapAdd {
			if c = strings.TrimPrefix(strings.ToUpper(c), "CAP_"); c == "ALL" || c == "SYS_ADMIN" {
				f, l := loc.item(name, "cap_add", func(e string) bool { return strings.Contains(strings.ToUpper(e), c) })
				add("DSC004", name, fmt.Sprintf("Service %q adds capability %s.", name, c), f, l)
			}
		}
		for _, e := range literalSecrets(loc, name) {
			msg := fmt.Sprintf("Service %q sets %s to a literal value in environment.", name, e.name)
			if e.what != "" {
				msg = fmt.Sprintf("Service %q sets %s to a literal value in environment that looks like a secret (%s).", name, e.name, e.what)
			}
			add("DSC005", name, msg, e.file, e.line)
		}
		if s.Image != "" && s.Build == nil && !pinned(s.Image) {
			f, l := at("image")
			add("DSC006", name, fmt.Sprintf("Service %q uses image %q: no tag, or latest, changes under you.", name, s.Image), f, l)
		}
		if facts, ok := images[name]; ok && s.User == "" && isRoot(facts.User) && !facts.Scanner {
			f, l := at()
			who := "root (no USER)"
			if facts.User != "" {
				who = facts.User
			}
			add("DSC007", name, fmt.Sprintf("Service %q sets no user: and its image runs as %s.", name, who), f, l)
		}
		if isDatabase(s) {
			for _, port := range s.Ports {
				if port.Published != "" && (port.HostIP == "" || port.HostIP == "0.0.0.0" || port.HostIP == "::") {
					f, l := loc.item(name, "ports", func(e string) bool {
						return strings.Contains(e, strconv.Itoa(int(port.Target))) && (port.Published == "" || strings.Contains(e, port.Published))
					})
					add("DSC008", name, fmt.Sprintf("Service %q publishes database port %d on all interfaces (host port %s).", name, port.Target, port.Published), f, l)
				}
			}
		}
		if deps := dependedOn[name]; len(deps) > 0 && (s.HealthCheck == nil || s.HealthCheck.Disable) && !images[name].Healthcheck {
			f, l := at()
			sort.Strings(deps)
			add("DSC009", name, fmt.Sprintf("Service %q has no healthcheck, yet %s depend on it: they may start before it is ready.", name, strings.Join(deps, ", ")), f, l)
		}
	}
	byFile := map[string][]types.Misconfiguration{}
	for i, m := range found {
		byFile[files[i]] = append(byFile[files[i]], m)
	}
	var out []types.Result
	for f, ms := range byFile {
		sort.SliceStable(ms, func(i, j int) bool {
			if ms[i].StartLine != ms[j].StartLine {
				return ms[i].StartLine < ms[j].StartLine
			}
			return ms[i].ID < ms[j].ID
		})
		failed := map[string]bool{}
		lines := fileLines(f)
		for i := range ms {
			failed[ms[i].ID] = true
			ms[i].CauseMetadata = composeCause(lines, ms[i].StartLine)
		}
		summary := &types.MisconfSummary{Successes: len(Checks) - len(failed), Failures: len(failed)}
		out = append(out, types.Result{Target: p.relative(f), Class: types.ClassConfig, Type: misconf.TypeCompose, MisconfSummary: summary, Misconfigurations: ms})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}

// relative names a file of the project by its path from the project
// directory, as users write it; files elsewhere keep their full path.
func (p *Project) relative(file string) string {
	if rel, err := filepath.Rel(p.WorkingDir, file); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return file
}

// fileLines are a compose file's lines, for the code of its findings;
// none when it cannot be read again (the findings keep their line).
func fileLines(file string) []string {
	b, err := misconf.ReadConfigFile(file)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
}

// composeCause locates a finding at its line, with that line as code.
func composeCause(lines []string, line int) types.CauseMetadata {
	cause := types.CauseMetadata{Provider: "Compose", StartLine: line, EndLine: line}
	if line >= 1 && line <= len(lines) {
		cause.Code.Lines = []types.CodeLine{{Number: line, Content: lines[line-1], IsCause: true, FirstCause: true, LastCause: true}}
	}
	return cause
}

func checkByID(id string) misconf.Check {
	for _, c := range Checks {
		if c.ID == id {
			return c
		}
	}
	panic("unknown check " + id)
}

func isDockerSocket(src string) bool {
	src = strings.TrimPrefix(src, "unix://")
	return path.Base(src) == "docker.sock" || src == "/var/run/docker.sock" || src == "/run/docker.sock"
}

// pinned tells an image reference with a digest, or a tag other than
// latest.
func pinned(ref string) bool {
	if strings.Contains(ref, "@") {
		return true
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	return ok && tag != "" && tag != "latest"
}

// isRoot tells a USER that is root: empty, root, 0, with or without a
// group.
func isRoot(user string) bool {
	u, _, _ := strings.Cut(user, ":")
	return u == "" || u == "root" || u == "0"
}

func isDatabase(s ctypes.ServiceConfig) bool {
	if s.Image != "" {
		last := s.Image[strings.LastIndex(s.Image, "/")+1:]
		last, _, _ = strings.Cut(last, "@")
		last, _, _ = strings.Cut(last, ":")
		if slices.Contains(databaseImages, last) {
			return true
		}
	}
	for _, p := range s.Ports {
		if slices.Contains(databasePorts, p.Target) {
			return true
		}
	}
	return false
}

type envSecret struct {
	name, file string
	line       int
	// what is the secret rule that recognised the value, if the name
	// did not say.
	what string
}

// secretRules are the built-in secret rules, compiled once.
var secretRules = sync.OnceValue(func() *secret.Scanner {
	rules, err := secret.BuiltinRules()
	if err != nil {
		return nil
	}
	return secret.NewScanner(rules, secret.BuiltinAllowRules())
})

// literalSecrets finds environment entries with a secret-like name and a
// value written in the file (not interpolated from ${VAR}, not empty),
// in every file that sets the service's environment.
func literalSecrets(loc *locator, service string) []envSecret {
	var out []envSecret
	files, nodes := loc.values(service, "environment")
	check := func(file string, line int, name, value string, hasValue bool) {
		if !hasValue || value == "" || strings.Contains(value, "$") || strings.HasSuffix(strings.ToUpper(name), "_FILE") {
			return
		}
		if secretName.MatchString(name) {
			out = append(out, envSecret{name, file, line, ""})
			return
		}
		// Any name: a value that the secret rules recognise (a token, a
		// URL with a password).
		if s := secretRules(); s != nil {
			if found := s.Scan("compose.yaml", []byte(name+"="+value+"\n")); len(found) > 0 {
				out = append(out, envSecret{name, file, line, found[0].Title})
			}
		}
	}
	for i, n := range nodes {
		switch n.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(n.Content); j += 2 {
				v := n.Content[j+1]
				check(files[i], n.Content[j].Line, n.Content[j].Value, v.Value, v.Tag != "!!null")
			}
		case yaml.SequenceNode:
			for _, e := range n.Content {
				name, value, ok := strings.Cut(e.Value, "=")
				check(files[i], e.Line, name, value, ok)
			}
		}
	}
	return out
}

// Facts reads the check-relevant facts from an image config's user,
// healthcheck test and labels.
func Facts(user string, healthcheck []string, labels map[string]string) ImageFacts {
	return ImageFacts{User: user, Healthcheck: len(healthcheck) > 0 && healthcheck[0] != "NONE", Scanner: labels[ScannerLabel] == "sidecar"}
}
