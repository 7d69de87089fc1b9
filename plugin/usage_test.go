package plugin

import (
	"errors"
	"fmt"
	"testing"
)

func TestSubcommandTypo(t *testing.T) {
	root := NewRootCommand("docker-scan", Hooks{})
	for arg, want := range map[string]string{
		"imag": "image", "imgae": "image", "Image": "image", "compse": "compose", "comp": "compose",
		"clena": "clean", "verison": "version", "hook": "hooks", "dbb": "db",
		// Image references, not typos.
		"go": "", "node": "", "nginx": "", "alpine": "", "ubuntu": "", "redis": "", "debian": "",
		"images/x": "", "image:1": "", "image.io": "", "imag@sha256": "", "": "",
	} {
		got, ok := subcommandTypo(root, arg)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", arg, got, ok, want)
		}
	}
}

func TestExitCode(t *testing.T) {
	root := NewRootCommand("docker-scan", Hooks{})
	usage := usageError(root, errors.New("unknown flag: --x"))
	for err, want := range map[error]int{
		usage:                            ExitUsage,
		fmt.Errorf("wrapped: %w", usage): ExitUsage,
		errors.New("scan failed"):        ExitFailure,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("%v: %d, want %d", err, got, want)
		}
	}
	if got := usage.Error(); got != "unknown flag: --x (see 'docker-scan --help')" {
		t.Errorf("usage error text %q", got)
	}
	if usageError(root, nil) != nil {
		t.Error("usageError(nil) is not nil")
	}
}

func TestFormatAsFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := formatAsFile([]string{"compose.yaml", "json"}); err == nil {
		t.Error("-f json without a file called json is not refused")
	}
	if err := writeFileForTest("json", "services: {}\n"); err != nil {
		t.Fatal(err)
	}
	if err := formatAsFile([]string{"json", "table.yaml"}); err != nil {
		t.Errorf("a file called json is refused: %v", err)
	}
}
