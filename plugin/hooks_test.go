package plugin

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestHookMessages(t *testing.T) {
	cache := t.TempDir()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	saveSummary(cache, imageKey("alpine:3.14"), summary{Name: "alpine:3.14", ScannedAt: now.Add(-3 * time.Hour), Vulnerabilities: map[string]int{"CRITICAL": 1, "LOW": 4}, Secrets: 2})
	saveSummary(cache, imageKey("registry.example.com/app:2"), summary{ScannedAt: now.Add(-30 * time.Second)})
	saveSummary(cache, projectKey("shop"), summary{Name: "shop", ScannedAt: now.Add(-5 * time.Minute), Services: 6, Failing: 2})
	for _, tc := range []struct {
		hook string
		argv []string
		want string
	}{
		// docker.io/library/alpine:3.14 is alpine:3.14.
		{"pull", []string{"docker", "pull", "--quiet", "docker.io/library/alpine:3.14"}, "Last scan of docker.io/library/alpine:3.14 (3 h ago): 1 CRITICAL, 4 LOW, 2 secrets. Details: docker scan image docker.io/library/alpine:3.14"},
		{"pull", []string{"docker", "pull", "--platform", "linux/arm64", "nginx:1.27"}, "Scan nginx:1.27 for vulnerabilities and secrets: docker scan image nginx:1.27"},
		{"pull", []string{"docker", "pull"}, ""},
		{"build", []string{"docker", "build", "-t", "registry.example.com/app:2", "."}, "Last scan of registry.example.com/app:2 (just now): no vulnerabilities or secrets. Details: docker scan image registry.example.com/app:2"},
		{"build", []string{"docker", "build", "--tag=registry.example.com/app:2", "."}, "Last scan of registry.example.com/app:2 (just now): no vulnerabilities or secrets. Details: docker scan image registry.example.com/app:2"},
		{"build", []string{"docker", "build", "."}, "Scan the image you build: docker build -t NAME, then docker scan image NAME"},
		{"compose up", []string{"docker", "compose", "-p", "shop", "up", "-d"}, "Last scan of project shop (5 min ago): 2 of 6 services FAIL. Details: docker scan compose"},
		{"compose up", []string{"docker", "compose", "--project-name=other", "up"}, "Scan this stack's images before the next up: docker scan compose"},
		{"image ls", []string{"docker", "image", "ls"}, ""},
	} {
		if got := hookMessage(cache, tc.hook, tc.argv, now); got != tc.want {
			t.Errorf("%s %v:\n got %q\nwant %q", tc.hook, tc.argv, got, tc.want)
		}
	}
	// A corrupt summary reads as none.
	saveSummary(cache, imageKey("bad:1"), summary{})
	if err := writeFileForTest(summaryFile(cache, imageKey("bad:1")), "{not json"); err != nil {
		t.Fatal(err)
	}
	if got := hookMessage(cache, "pull", []string{"docker", "pull", "bad:1"}, now); got != "Scan bad:1 for vulnerabilities and secrets: docker scan image bad:1" {
		t.Errorf("corrupt summary: %q", got)
	}
}

func writeFileForTest(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }

// BenchmarkHookMessage: what a hook costs past process start (reading one
// summary file); it must not grow with the cache.
func BenchmarkHookMessage(b *testing.B) {
	cache := b.TempDir()
	now := time.Now()
	for i := range 1000 {
		saveSummary(cache, imageKey(fmt.Sprintf("app%d:1", i)), summary{ScannedAt: now, Vulnerabilities: map[string]int{"HIGH": i}})
	}
	argv := []string{"docker", "pull", "app500:1"}
	for b.Loop() {
		if hookMessage(cache, "pull", argv, now) == "" {
			b.Fatal("no message")
		}
	}
}
