package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/types"
)

// gateStack is a project of three services: web runs privileged (DSC001),
// api is only built (its Dockerfile leaves the user root), cache is clean.
const gateStack = `name: gate
services:
  web:
    image: shop/web:1.2
    user: "1000"
    privileged: true
  api:
    build: ./api
    user: "1000"
  cache:
    image: redis:7.4
    user: "999"
`

// gateEnv serves the images of gateStack: vulnerable ones carry one HIGH
// vulnerability, broken ones fail to scan, and api is not built.
type gateEnv struct {
	mu         sync.Mutex
	vulnerable map[string]bool
	broken     map[string]bool
	sources    map[string][]string // what Open was asked, by reference
	scanned    []string
	logs       []string
	written    *types.StackReport
	started    bool
}

func newGateEnv(t *testing.T) (*gateEnv, RunOptions) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), gateStack)
	if err := os.Mkdir(filepath.Join(dir, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "api", "Dockerfile"), "FROM alpine:3.20\nHEALTHCHECK CMD true\nCMD [\"api\"]\n")
	e := &gateEnv{vulnerable: map[string]bool{}, broken: map[string]bool{}, sources: map[string][]string{}}
	o := RunOptions{
		Load:     LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}, Env: []string{"PATH=/usr/bin"}},
		Sources:  []string{"docker", "remote"},
		Parallel: 2,
		ExitCode: 3,
		Open:     e.open,
		Scan:     e.scan,
		Start: func(ctx context.Context, _ *Project, plan []ServiceImage) (context.Context, error) {
			e.started = len(plan) > 0
			return ctx, nil
		},
		Write: func(_ context.Context, rep *types.StackReport) error { e.written = rep; return nil },
		Log:   func(kind, msg string) { e.mu.Lock(); e.logs = append(e.logs, kind+": "+msg); e.mu.Unlock() },
	}
	return e, o
}

func (e *gateEnv) open(_ context.Context, ref string, sources []string) (*types.Image, error) {
	e.mu.Lock()
	e.sources[ref] = sources
	e.mu.Unlock()
	if ref == "gate-api" { // built by the project, not yet
		var answers []string
		for _, s := range sources {
			answers = append(answers, s+": not found")
		}
		return nil, &NotFoundError{Ref: ref, Answers: answers}
	}
	cfg := &v1.ConfigFile{}
	cfg.Config.User = "1000"
	cfg.Config.Healthcheck = &v1.HealthConfig{Test: []string{"CMD", "true"}}
	return &types.Image{Name: ref, ID: "sha256:" + strings.Repeat("a", 64), Config: cfg, Close: func() error { return nil }}, nil
}

func (e *gateEnv) scan(_ context.Context, img *types.Image) (*types.Report, error) {
	e.mu.Lock()
	e.scanned = append(e.scanned, img.Name)
	e.mu.Unlock()
	if e.broken[img.Name] {
		return nil, errors.New("layer sha256:0f: unexpected EOF")
	}
	rep := &types.Report{SchemaVersion: types.SchemaVersion, ArtifactName: img.Name, Metadata: types.Metadata{ImageID: img.ID}}
	res := types.Result{Target: img.Name + " (alpine 3.20)"}
	if e.vulnerable[img.Name] {
		res.Vulnerabilities = []types.DetectedVulnerability{{VulnerabilityID: "CVE-2024-0001", PkgName: "zlib", InstalledVersion: "1.3.1-r0"}}
		res.Vulnerabilities[0].Severity = "HIGH"
	}
	rep.Results = []types.Result{res}
	return rep, nil
}

// verdicts lists each service as name=pass|FAIL.
func verdicts(rep *types.StackReport) string {
	var out []string
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for n := range rep.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		v := "FAIL"
		if rep.Services[n].Pass {
			v = "pass"
		}
		out = append(out, n+"="+v)
	}
	return strings.Join(out, " ")
}

func TestRunVerdict(t *testing.T) {
	for _, tc := range []struct {
		name       string
		setup      func(e *gateEnv, o *RunOptions)
		want       string // verdicts
		code       int
		err        string
		logs       []string // each must be logged
		misconfigs []string // IDs in the report
		scanned    int
	}{
		{
			name:    "clean images pass",
			want:    "api=pass cache=pass web=pass",
			logs:    []string{"info: scanning 3 services (3 images) of project gate", "info: api (gate-api): image not built or pulled yet: pass", "info: all 3 services pass"},
			scanned: 2,
		},
		{
			name:    "a vulnerable image fails its service",
			setup:   func(e *gateEnv, _ *RunOptions) { e.vulnerable["redis:7.4"] = true },
			want:    "api=pass cache=FAIL web=pass",
			code:    3,
			logs:    []string{"info: cache (redis:7.4): 1 HIGH: FAIL"},
			scanned: 2,
		},
		{
			name:    "exit code 0 never fails the command",
			setup:   func(e *gateEnv, o *RunOptions) { e.vulnerable["redis:7.4"] = true; o.ExitCode = 0 },
			want:    "api=pass cache=FAIL web=pass",
			scanned: 2,
		},
		{
			name:    "a missing image fails with RequireImages",
			setup:   func(_ *gateEnv, o *RunOptions) { o.RequireImages = true },
			want:    "api=FAIL cache=pass web=pass",
			code:    3,
			scanned: 2,
		},
		{
			name:  "a compose misconfiguration fails its service",
			setup: func(_ *gateEnv, o *RunOptions) { o.Misconfig = true },
			// api's Dockerfile leaves the user root.
			want:       "api=FAIL cache=pass web=FAIL",
			code:       3,
			logs:       []string{"info: web (shop/web:1.2): 1 misconfigurations: FAIL", "info: api (gate-api): 1 misconfigurations, image not built or pulled yet: FAIL"},
			misconfigs: []string{"DSC001", "DS-0002"},
			scanned:    2,
		},
		{
			name: "an ignored misconfiguration passes",
			setup: func(_ *gateEnv, o *RunOptions) {
				o.Misconfig = true
				o.Policy = policy.Options{Ignore: ignoreFile(t, "DSC001\nDS-0002\n")}
			},
			want:    "api=pass cache=pass web=pass",
			logs:    []string{"info: all 3 services pass"},
			scanned: 2,
		},
		{
			name: "config only: images are looked at, not scanned",
			setup: func(e *gateEnv, o *RunOptions) {
				e.vulnerable["redis:7.4"] = true
				o.Misconfig, o.ConfigOnly = true, true
			},
			want:       "api=FAIL cache=pass web=FAIL",
			code:       3,
			misconfigs: []string{"DSC001", "DS-0002"},
		},
		{
			name: "the provider says which services fail",
			setup: func(e *gateEnv, o *RunOptions) {
				e.vulnerable["shop/web:1.2"] = true
				f, err := os.OpenFile(o.Load.Files[0], os.O_APPEND|os.O_WRONLY, 0)
				if err == nil {
					_, err = f.WriteString("  scan:\n    provider:\n      type: scan\n")
					f.Close()
				}
				if err != nil {
					t.Fatal(err)
				}
				o.Mode = Mode{Provider: true, Self: "scan"}
			},
			want:    "api=pass cache=pass web=FAIL",
			code:    3,
			logs:    []string{"error: 1 of 3 services fail the scan policy: web (shop/web:1.2): 1 HIGH"},
			scanned: 2,
		},
		{
			name:    "a scan that fails is an error after the report",
			setup:   func(e *gateEnv, _ *RunOptions) { e.broken["shop/web:1.2"] = true; e.vulnerable["redis:7.4"] = true },
			want:    "api=pass cache=FAIL web=FAIL",
			err:     "1 of 3 services could not be scanned: web: shop/web:1.2: layer sha256:0f: unexpected EOF",
			scanned: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, o := newGateEnv(t)
			if tc.setup != nil {
				tc.setup(e, &o)
			}
			rep, code, err := Run(context.Background(), o)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			if e.written == nil || e.written != rep {
				t.Fatal("report not written")
			}
			if got := verdicts(rep); got != tc.want {
				t.Errorf("verdicts %s, want %s", got, tc.want)
			}
			for _, l := range tc.logs {
				if !slices.Contains(e.logs, l) {
					t.Errorf("not logged: %q\nlogs:\n%s", l, strings.Join(e.logs, "\n"))
				}
			}
			var ids []string
			for _, res := range rep.Misconfigurations {
				for _, m := range res.Misconfigurations {
					if m.Status != "PASS" {
						ids = append(ids, m.ID)
					}
				}
			}
			for _, id := range tc.misconfigs {
				if !slices.Contains(ids, id) {
					t.Errorf("no %s finding in %v", id, ids)
				}
			}
			if tc.misconfigs == nil && len(ids) > 0 {
				t.Errorf("findings %v, want none", ids)
			}
			if len(e.scanned) != tc.scanned {
				t.Errorf("scanned %v, want %d images", e.scanned, tc.scanned)
			}
			if !e.started {
				t.Error("Start not called")
			}
		})
	}
}

func ignoreFile(t *testing.T, body string) *policy.IgnoreFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".trivyignore")
	writeFile(t, path, body)
	f, err := policy.LoadIgnoreFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRunBuildOnlyNeverPulled: an image the project builds is looked for
// in the engines only, and the registry's answer says why.
func TestRunBuildOnlyNeverPulled(t *testing.T) {
	for _, tc := range []struct {
		sources []string
		asked   []string
		missing string
	}{
		{[]string{"docker", "remote"}, []string{"docker"}, "not built or pulled yet (docker: not found; remote: not looked up for an image the project builds)"},
		{[]string{"remote"}, nil, "not built or pulled yet (remote: not looked up for an image the project builds)"},
		{[]string{"docker"}, []string{"docker"}, "not built or pulled yet (docker: not found)"},
	} {
		t.Run(strings.Join(tc.sources, ","), func(t *testing.T) {
			e, o := newGateEnv(t)
			o.Sources = tc.sources
			rep, _, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Services["api"].Missing; got != tc.missing {
				t.Errorf("api missing %q, want %q", got, tc.missing)
			}
			if got := e.sources["gate-api"]; !slices.Equal(got, tc.asked) {
				t.Errorf("api looked up in %v, want %v", got, tc.asked)
			}
			if got := e.sources["redis:7.4"]; !slices.Equal(got, tc.sources) {
				t.Errorf("redis looked up in %v, want %v", got, tc.sources)
			}
		})
	}
}

// TestRunErrorsBeforeScans: a project that cannot be loaded, or a Start
// that fails (the DB), is an error before any image is opened.
func TestRunErrorsBeforeScans(t *testing.T) {
	e, o := newGateEnv(t)
	o.Start = func(ctx context.Context, _ *Project, _ []ServiceImage) (context.Context, error) {
		return ctx, errors.New("no vulnerability DB")
	}
	if _, _, err := Run(context.Background(), o); err == nil || err.Error() != "no vulnerability DB" {
		t.Errorf("start: %v", err)
	}
	if len(e.sources) > 0 || e.written != nil {
		t.Errorf("opened %v before the DB", e.sources)
	}

	e, o = newGateEnv(t)
	o.Services = []string{"nosuch"}
	if _, _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown service: %v", err)
	}
	if len(e.sources) > 0 || e.written != nil {
		t.Error("scanned an unknown service")
	}
}

// TestRunProviderWithoutFiles: a provider whose project files cannot be
// found says how to fix it, and asks the engine first.
func TestRunProviderWithoutFiles(t *testing.T) {
	_, o := newGateEnv(t)
	o.Mode = Mode{Provider: true, Self: "scan"}
	o.Load.ProjectName = "gate"
	asked := false
	o.Docker = func() (DockerClient, error) { asked = true; return nil, fmt.Errorf("no engine") }
	_, _, err := Run(context.Background(), o)
	if err == nil || !strings.HasPrefix(err.Error(), `cannot find the compose files of project gate (the provider service "scan" is not in them)`) {
		t.Errorf("error: %v", err)
	}
	if !asked {
		t.Error("the engine was not asked for the project's files")
	}
}
