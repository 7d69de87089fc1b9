package misconf

import (
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/types"
)

// classicHistory is the history of an image built by the classic
// builder (DOCKER_BUILDKIT=0) FROM debian: the base image's two steps,
// then the image's own, as `docker history --no-trunc` shows them.
var classicHistory = []v1.History{
	{CreatedBy: "/bin/sh -c #(nop) ADD file:7b4d4d1ab4a8e7a7d1b4d6e9d63f1f0a5f5f1a3b2c1d0e9f8a7b6c5d4e3f2a1b in / "},
	{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
	{CreatedBy: "/bin/sh -c #(nop)  MAINTAINER ops@example.com", EmptyLayer: true},
	{CreatedBy: "/bin/sh -c #(nop)  ENV GITHUB_TOKEN=ghp_notarealtoken LANG=C.UTF-8", EmptyLayer: true},
	{CreatedBy: "|1 VERSION=1.2 /bin/sh -c apt-get update && apt-get install -y curl"},
	{CreatedBy: "/bin/sh -c #(nop) COPY file:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 in /app/ "},
	{CreatedBy: "/bin/sh -c #(nop)  EXPOSE 22/tcp 8080", EmptyLayer: true},
	{CreatedBy: "/bin/sh -c #(nop)  USER root", EmptyLayer: true},
	{CreatedBy: `/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "10s" "3s" "0s" '\x00'}`, EmptyLayer: true},
	{CreatedBy: `/bin/sh -c #(nop)  CMD ["/app/run" "--port" "8080"]`, EmptyLayer: true},
}

// buildkitHistory is the same build with BuildKit.
var buildkitHistory = []v1.History{
	{CreatedBy: "/bin/sh -c #(nop) ADD file:7b4d4d1ab4a8e7a7d1b4d6e9d63f1f0a5f5f1a3b2c1d0e9f8a7b6c5d4e3f2a1b in / "},
	{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
	{CreatedBy: "MAINTAINER ops@example.com", EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: "ENV GITHUB_TOKEN=ghp_notarealtoken LANG=C.UTF-8", EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: "ARG VERSION=1.2", EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: "RUN |1 VERSION=1.2 /bin/sh -c apt-get update && apt-get install -y curl # buildkit", Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: "COPY app /app/ # buildkit", Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: "EXPOSE [22/tcp 8080/tcp]", EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: "USER root", EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: `HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/ || exit 1] Interval:10s Timeout:3s}`, EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: `CMD ["/app/run" "--port" "8080"]`, EmptyLayer: true, Comment: "buildkit.dockerfile.v0"},
}

func configWith(history []v1.History) *v1.ConfigFile {
	return &v1.ConfigFile{
		Config: v1.Config{
			Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "GITHUB_TOKEN=ghp_notarealtoken", "LANG=C.UTF-8"},
			User:         "root",
			ExposedPorts: map[string]struct{}{"22/tcp": {}, "8080/tcp": {}},
			Healthcheck: &v1.HealthConfig{
				Test:     []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"},
				Interval: 10 * time.Second, Timeout: 3 * time.Second,
			},
		},
		History: history,
	}
}

func TestImageConfigDockerfileForms(t *testing.T) {
	want := []string{
		"MAINTAINER ops@example.com",
		"ENV GITHUB_TOKEN=ghp_notarealtoken LANG=C.UTF-8",
		"RUN apt-get update && apt-get install -y curl",
		"COPY file:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 /app/",
		"EXPOSE 22/tcp 8080",
		"USER root",
		"HEALTHCHECK --interval=10s --timeout=3s CMD curl -f http://localhost/ || exit 1",
		`CMD ["/app/run", "--port", "8080"]`,
	}
	if got := ImageConfigDockerfile(configWith(classicHistory)).Lines; !slices.Equal(got, want) {
		t.Errorf("classic:\n got %q\nwant %q", got, want)
	}
	want = []string{
		"MAINTAINER ops@example.com",
		"ENV GITHUB_TOKEN=ghp_notarealtoken LANG=C.UTF-8",
		"ARG VERSION=1.2",
		"RUN apt-get update && apt-get install -y curl",
		"COPY app /app/",
		"EXPOSE 22/tcp 8080/tcp",
		"USER root",
		"HEALTHCHECK --interval=10s --timeout=3s CMD curl -f http://localhost/ || exit 1",
		`CMD ["/app/run", "--port", "8080"]`,
	}
	df := ImageConfigDockerfile(configWith(buildkitHistory))
	if !slices.Equal(df.Lines, want) {
		t.Errorf("buildkit:\n got %q\nwant %q", df.Lines, want)
	}
	// The commands are the parser's: CMD in JSON form, RUN in shell form.
	var cmds []string
	for _, c := range df.Stages[0].Commands {
		cmds = append(cmds, c.Cmd)
		if c.StartLine < 1 || c.StartLine > len(df.Lines) || c.Path != "Dockerfile" {
			t.Errorf("command %s: line %d, path %q", c.Cmd, c.StartLine, c.Path)
		}
		if c.Cmd == "cmd" && (!c.JSON || !slices.Equal(c.Value, []string{"/app/run", "--port", "8080"})) {
			t.Errorf("CMD: %+v", c)
		}
	}
	if w := []string{"maintainer", "env", "arg", "run", "copy", "expose", "user", "healthcheck", "cmd"}; !slices.Equal(cmds, w) {
		t.Errorf("commands %q, want %q", cmds, w)
	}
}

func TestCheckImageConfigNamesTheStep(t *testing.T) {
	for name, history := range map[string][]v1.History{"classic": classicHistory, "buildkit": buildkitHistory} {
		t.Run(name, func(t *testing.T) {
			cfg := configWith(history)
			cfg.RootFS.DiffIDs = []v1.Hash{
				{Algorithm: "sha256", Hex: strings.Repeat("1", 64)},
				{Algorithm: "sha256", Hex: strings.Repeat("2", 64)},
				{Algorithm: "sha256", Hex: strings.Repeat("3", 64)},
			}
			res := CheckImageConfig("app:1", cfg, DockerfileChecks)
			if res.Target != "app:1" || res.Class != types.ClassConfig || res.Type != TypeDockerfile {
				t.Fatalf("result %s %s %s", res.Target, res.Class, res.Type)
			}
			step := func(id string) *types.LayerRef {
				for _, m := range res.Misconfigurations {
					if m.ID == id {
						return m.Layer
					}
				}
				t.Errorf("no %s in %v", id, ids(res))
				return nil
			}
			runStep := "|1 VERSION=1.2 /bin/sh -c apt-get update && apt-get install -y curl"
			if name == "buildkit" {
				runStep = "RUN " + runStep + " # buildkit"
			}
			for id, want := range map[string]types.LayerRef{
				"DS-0002": {CreatedBy: history[len(history)-3].CreatedBy}, // USER root
				"DS-0029": {CreatedBy: runStep, DiffID: "sha256:" + strings.Repeat("2", 64)},
				"DS-0031": {CreatedBy: history[3].CreatedBy}, // ENV GITHUB_TOKEN
				"DS-0004": {CreatedBy: history[len(history)-4].CreatedBy},
				"DS-0022": {CreatedBy: history[2].CreatedBy},
			} {
				if got := step(id); got == nil || *got != want {
					t.Errorf("%s: step %+v, want %+v", id, got, want)
				}
			}
			// The base image's CMD and the image's own are no finding,
			// nor is the healthcheck missing.
			for _, id := range []string{"DS-0016", "DS-0026"} {
				if slices.Contains(ids(res), id) {
					t.Errorf("%s reported: %v", id, ids(res))
				}
			}
		})
	}
}

func ids(res types.Result) []string {
	var out []string
	for _, m := range res.Misconfigurations {
		out = append(out, m.ID)
	}
	return out
}

func TestImageConfigDockerfileFromConfig(t *testing.T) {
	// An image whose history says nothing of its user, environment or
	// ports (written by a tool, or committed with changes).
	cfg := &v1.ConfigFile{
		Config: v1.Config{
			Env:          []string{"AWS_SECRET_ACCESS_KEY=abc def"},
			User:         "0",
			ExposedPorts: map[string]struct{}{"22/tcp": {}},
		},
		History: []v1.History{{CreatedBy: "jib-maven-plugin:3.4.0"}},
	}
	df := ImageConfigDockerfile(cfg)
	want := []string{`ENV AWS_SECRET_ACCESS_KEY="abc def"`, "EXPOSE 22/tcp", "USER 0"}
	if !slices.Equal(df.Lines, want) {
		t.Fatalf("lines %q, want %q", df.Lines, want)
	}
	res := CheckImageConfig("app", cfg, DockerfileChecks)
	for _, id := range []string{"DS-0002", "DS-0004", "DS-0031"} {
		if !slices.Contains(ids(res), id) {
			t.Errorf("no %s in %v", id, ids(res))
		}
	}
	for _, m := range res.Misconfigurations {
		if m.Layer != nil {
			t.Errorf("%s names step %+v, but the config set it", m.ID, m.Layer)
		}
	}
	// The user the config and the history agree on is not added twice.
	cfg = configWith(buildkitHistory)
	if df := ImageConfigDockerfile(cfg); strings.Count(strings.Join(df.Lines, "\n"), "USER") != 1 {
		t.Errorf("USER twice: %q", df.Lines)
	}
}

func TestStepInstruction(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/sh -c #(nop)  USER app|unsetLabel=true|force-mtime=10":   "USER app",
		"/bin/bash -o pipefail -c curl -s x | sh":                      "RUN curl -s x | sh",
		"|2 A=b C=d /bin/sh -c make":                                   "RUN make",
		"RUN apt-get install -y x # buildkit":                          "RUN apt-get install -y x",
		"/bin/sh -c #(nop)  EXPOSE map[80/tcp:{} 443/tcp:{}]":          "EXPOSE 80/tcp 443/tcp",
		"/bin/sh -c #(nop)  VOLUME [/data /logs]":                      "VOLUME /data /logs",
		`/bin/sh -c #(nop)  ENTRYPOINT ["/bin/sh" "-c" "exec \"$0\""]`: `ENTRYPOINT ["/bin/sh", "-c", "exec \"$0\""]`,
		"/bin/sh -c #(nop) WORKDIR /app":                               "WORKDIR /app",
		"LABEL a=b":                                                    "LABEL a=b",
		"crane append":                                                 "",
		"":                                                             "",
		"|99999999999999999999 A=b /bin/sh -c x":                       "",
	} {
		if got := stepInstruction(in); got != want {
			t.Errorf("stepInstruction(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestImageConfigDockerfileHostile(t *testing.T) {
	// Multi-line commands, heredocs cut from their bodies, huge and
	// numerous steps: bounded, no panic, lines and steps agree.
	var history []v1.History
	history = append(history,
		v1.History{CreatedBy: "RUN /bin/sh -c cat <<EOF > /x # buildkit"},
		v1.History{CreatedBy: "/bin/sh -c set -e\napt-get install -y curl\nrm -rf /var/lib/apt/lists"},
		v1.History{CreatedBy: "/bin/sh -c #(nop)  LABEL a=\"b\nc\""},
		v1.History{CreatedBy: "/bin/sh -c " + strings.Repeat("x", maxStepBytes+1)},
	)
	for range maxHistorySteps + 10 {
		history = append(history, v1.History{CreatedBy: "/bin/sh -c #(nop)  ENV A=b", EmptyLayer: true})
	}
	r := rebuildHistory(&v1.ConfigFile{History: history})
	if len(r.df.Lines) != len(r.steps) || len(r.df.Lines) > maxHistorySteps+10 {
		t.Fatalf("%d lines, %d steps", len(r.df.Lines), len(r.steps))
	}
	r = rebuildHistory(&v1.ConfigFile{History: history[:4]})
	if len(r.df.Stages) != 1 {
		t.Fatalf("stages %d", len(r.df.Stages))
	}
	for _, c := range r.df.Stages[0].Commands {
		if c.EndLine > len(r.df.Lines) || r.steps[c.StartLine-1] == nil {
			t.Errorf("command %+v outside the lines %q", c, r.df.Lines)
		}
	}
	res := CheckImageConfig("x", &v1.ConfigFile{History: history[:4]}, DockerfileChecks)
	if !slices.Contains(ids(res), "DS-0029") {
		t.Errorf("multi-line RUN not checked: %v", ids(res))
	}
	if df := ImageConfigDockerfile(nil); len(df.Stages) != 0 {
		t.Errorf("nil config: %+v", df)
	}
}

func FuzzImageConfigDockerfile(f *testing.F) {
	for _, h := range append(slices.Clone(classicHistory), buildkitHistory...) {
		f.Add(h.CreatedBy, h.EmptyLayer)
	}
	f.Fuzz(func(t *testing.T, createdBy string, empty bool) {
		cfg := configWith([]v1.History{{CreatedBy: createdBy, EmptyLayer: empty}, {CreatedBy: createdBy + "\n" + createdBy}})
		r := rebuildHistory(cfg)
		if len(r.df.Lines) != len(r.steps) {
			t.Fatalf("%d lines, %d steps", len(r.df.Lines), len(r.steps))
		}
		CheckImageConfig("x", cfg, DockerfileChecks)
	})
}
