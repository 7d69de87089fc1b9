package compose

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// stackDir is testdata/compose/stack: include, extends, .env, a build-only
// service, a profile and a provider service.
var stackDir = filepath.Join("..", "testdata", "compose", "stack")

func loadStack(t *testing.T, o LoadOptions) *Project {
	t.Helper()
	if o.WorkingDir == "" && len(o.Files) == 0 && !strings.Contains(strings.Join(o.Env, " "), "COMPOSE_FILE=") {
		o.WorkingDir = stackDir
	}
	if o.Env == nil {
		o.Env = []string{"PATH=/usr/bin"} // nothing from the test's own environment
	}
	p, err := Load(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func planOf(t *testing.T, p *Project, names ...string) map[string]string {
	t.Helper()
	plan, err := p.Plan(names)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range plan {
		v := s.Image
		if s.BuildOnly {
			v += " (build)"
		}
		out[s.Service] = v
	}
	return out
}

func TestLoadStack(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    LoadOptions
		want map[string]string
	}{
		{"defaults: .env, include, extends, build-only, no profile, no provider", LoadOptions{}, map[string]string{
			"api":    "shop-api (build)",
			"cache":  "shop/cache:7.2",
			"web":    "localhost:5000/shop/web:2.1",
			"worker": "shop/worker:1.0",
		}},
		{"--profile debug", LoadOptions{Profiles: []string{"debug"}}, map[string]string{
			"api": "shop-api (build)", "cache": "shop/cache:7.2", "debug": "shop/debug:1.0",
			"web": "localhost:5000/shop/web:2.1", "worker": "shop/worker:1.0",
		}},
		{"COMPOSE_PROFILES and the environment beat .env defaults", LoadOptions{Env: []string{"COMPOSE_PROFILES=debug", "REGISTRY=registry.example.com", "WORKER_TAG=9"}}, map[string]string{
			"api": "shop-api (build)", "cache": "shop/cache:7.2", "debug": "shop/debug:1.0",
			"web": "registry.example.com/shop/web:2.1", "worker": "shop/worker:9",
		}},
		{"--env-file replaces .env", LoadOptions{EnvFiles: []string{filepath.Join(stackDir, "alt.env")}}, map[string]string{
			"api": "shop-api (build)", "cache": "shop/cache:7.2",
			"web": "localhost:5000/shop/web:3.0", "worker": "shop/worker:1.1",
		}},
		{"--project-name renames build-only images", LoadOptions{ProjectName: "store"}, map[string]string{
			"api": "store-api (build)", "cache": "shop/cache:7.2",
			"web": "localhost:5000/shop/web:2.1", "worker": "shop/worker:1.0",
		}},
		{"COMPOSE_FILE, from another directory", LoadOptions{Env: []string{"COMPOSE_FILE=" + filepath.Join(stackDir, "compose.yaml")}}, map[string]string{
			"api": "shop-api (build)", "cache": "shop/cache:7.2",
			"web": "localhost:5000/shop/web:2.1", "worker": "shop/worker:1.0",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadStack(t, tc.o)
			if got := planOf(t, p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("plan:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestLoadStackDetails(t *testing.T) {
	p := loadStack(t, LoadOptions{})
	// extends brought the base service's user and healthcheck.
	w, _ := p.GetService("worker")
	if w.User != "1000:1000" || w.HealthCheck == nil {
		t.Errorf("worker: user %q healthcheck %v: extends not applied", w.User, w.HealthCheck)
	}
	// Every file read is known, for reports by file and line.
	var names []string
	for _, f := range p.Files {
		rel, _ := filepath.Rel(p.WorkingDir, f)
		names = append(names, rel)
	}
	for _, want := range []string{"compose.yaml", filepath.Join("infra", "compose.yaml"), "common.yaml"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("files %v lack %s", names, want)
		}
	}
	// Named services only, and clear errors.
	if got := planOf(t, p, "web"); len(got) != 1 {
		t.Errorf("plan of web: %v", got)
	}
	if _, err := p.Plan([]string{"nope"}); err == nil || !strings.Contains(err.Error(), `no service "nope"`) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := p.Plan([]string{"debug"}); err == nil || !strings.Contains(err.Error(), "profile") {
		t.Errorf("service of an inactive profile: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"not YAML", "services: [\n", "yaml"},
		{"unknown key", "services:\n  web:\n    image: a\n    imagee: b\n", "imagee"},
		{"missing required variable", "services:\n  web:\n    image: ${TAG:?set TAG}\n", "set TAG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			writeFile(t, f, tc.body)
			_, err := Load(context.Background(), LoadOptions{Files: []string{f}, Env: []string{}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Load(context.Background(), LoadOptions{WorkingDir: dir, Env: []string{}}); err == nil || !strings.Contains(err.Error(), "no configuration file") {
		t.Errorf("no compose file: %v", err)
	}
}
