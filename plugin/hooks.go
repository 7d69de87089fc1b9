package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/compose"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/types"
)

// The Docker CLI's plugin hooks: after the commands a plugin registers
// for in the CLI config, the CLI runs `docker-scan scan
// docker-cli-plugin-hooks REQUEST` and prints the message it answers under
// "What's next:". The hook never scans: it reads the summary the last scan
// of the image (or compose project) left in the cache dir, so it returns at
// once.

// hookSubcommand is the name the Docker CLI calls hooks by.
const hookSubcommand = "docker-cli-plugin-hooks"

// hookedCommands are the commands docker scan hooks enable registers.
const hookedCommands = "pull,build,compose up"

// summary is what a scan leaves for the hooks.
type summary struct {
	Name      string
	ImageID   string `json:",omitempty"`
	ScannedAt time.Time
	// Vulnerabilities per severity, secrets, and for a project its
	// services and those failing.
	Vulnerabilities map[string]int `json:",omitempty"`
	Secrets         int            `json:",omitempty"`
	Services        int            `json:",omitempty"`
	Failing         int            `json:",omitempty"`
}

func summaryFile(cacheDir, key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(cacheDir, "summaries", hex.EncodeToString(h[:16])+".json")
}

// imageKey names an image's summary: its reference in full form, so that
// alpine and docker.io/library/alpine:latest are one.
func imageKey(ref string) string {
	if r, err := name.ParseReference(ref); err == nil {
		return "image:" + r.Name()
	}
	return "image:" + ref
}

func projectKey(project string) string { return "compose:" + project }

// saveSummary writes a summary whole or not at all; failing to is no
// reason to fail a scan.
func saveSummary(cacheDir, key string, s summary) {
	p := summaryFile(cacheDir, key)
	err := func() error {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		return iox.WriteFileAtomic(p, b)
	}()
	if err != nil {
		slog.Debug("could not keep the scan summary for CLI hooks", "error", err)
	}
}

func loadSummary(cacheDir, key string) (summary, bool) {
	var s summary
	b, err := os.ReadFile(summaryFile(cacheDir, key))
	if err != nil || json.Unmarshal(b, &s) != nil {
		return s, false
	}
	return s, true
}

// saveImageSummary keeps the counts of an image report.
func saveImageSummary(cacheDir, ref string, rep *types.Report) {
	vulns, secrets := compose.Counts(rep)
	saveSummary(cacheDir, imageKey(ref), summary{Name: ref, ImageID: rep.Metadata.ImageID, ScannedAt: time.Now().UTC(), Vulnerabilities: vulns, Secrets: secrets})
}

// hookRequest is what the Docker CLI sends: the hook that matched ("pull",
// "compose up"), the flags set, and the command's error output when it
// failed (CLIs before 27 leave it empty).
type hookRequest struct {
	RootCmd      string
	Flags        map[string]string
	CommandError string
}

// hookResponse is what the CLI prints: type 0 goes under "What's next:".
type hookResponse struct {
	Type     int    `json:"Type"`
	Template string `json:"Template,omitempty"`
}

func newHookCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    hookSubcommand + " REQUEST",
		Hidden: true,
		Args:   cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req hookRequest
			if len(args) > 0 {
				_ = json.Unmarshal([]byte(args[0]), &req)
			}
			if failedWithoutImage(req) {
				return nil
			}
			msg := hookMessage(g.cacheDir, req.RootCmd, parentArgs(), time.Now())
			if msg == "" {
				return nil
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(hookResponse{Type: 0, Template: msg})
		},
	}
}

// failedWithoutImage: a pull or build that failed left no image to scan
// (or the one scanned before, unchanged); a hint would only add noise under
// the error. A failed compose up keeps its line: the last scan may be why
// it failed.
func failedWithoutImage(req hookRequest) bool {
	return req.CommandError != "" && (req.RootCmd == "pull" || req.RootCmd == "build")
}

// parentArgs are the arguments of the process that ran this one: the
// Docker CLI, whose command (docker pull alpine:3.20) the hook is for;
// the CLI does not pass them on.
func parentArgs() []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", os.Getppid()))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// hookMessage is the "What's next" line for a hooked command, given the
// Docker CLI's arguments ([docker pull alpine:3.20]).
func hookMessage(cacheDir, hook string, argv []string, now time.Time) string {
	switch hook {
	case "pull":
		ref := firstArgAfter(argv, "pull")
		if ref == "" {
			return ""
		}
		return imageHookLine(cacheDir, ref, now)
	case "build":
		ref := flagValue(argv, "-t", "--tag")
		if ref == "" {
			return "Scan the image you build: docker build -t NAME, then docker scan image NAME"
		}
		return imageHookLine(cacheDir, ref, now)
	case "compose up", "compose":
		project := flagValue(argv, "-p", "--project-name")
		if project == "" {
			project = os.Getenv("COMPOSE_PROJECT_NAME")
		}
		if project == "" {
			if wd, err := os.Getwd(); err == nil {
				project = normalizeProjectName(filepath.Base(wd))
			}
		}
		s, ok := loadSummary(cacheDir, projectKey(project))
		if !ok {
			return "Scan this stack's images before the next up: docker scan compose"
		}
		verdict := fmt.Sprintf("all %d services pass", s.Services)
		if s.Failing > 0 {
			verdict = fmt.Sprintf("%d of %d services FAIL", s.Failing, s.Services)
		}
		return fmt.Sprintf("Last scan of project %s (%s): %s. Details: docker scan compose", project, ago(now, s.ScannedAt), verdict)
	}
	return ""
}

func imageHookLine(cacheDir, ref string, now time.Time) string {
	s, ok := loadSummary(cacheDir, imageKey(ref))
	if !ok {
		return fmt.Sprintf("Scan %s for vulnerabilities and secrets: docker scan image %s", ref, ref)
	}
	var parts []string
	for i := len(types.SeverityNames) - 1; i >= 0; i-- {
		if n := s.Vulnerabilities[types.SeverityNames[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, types.SeverityNames[i]))
		}
	}
	if s.Secrets > 0 {
		parts = append(parts, fmt.Sprintf("%d secrets", s.Secrets))
	}
	found := "no vulnerabilities or secrets"
	if len(parts) > 0 {
		found = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("Last scan of %s (%s): %s. Details: docker scan image %s", ref, ago(now, s.ScannedAt), found, ref)
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days ago"
}

// firstArgAfter is the first argument after the word cmd that is not a
// flag (flags of pull that take a value are written --flag=value or are
// --platform VALUE).
func firstArgAfter(argv []string, cmd string) string {
	seen := false
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case !seen:
			seen = a == cmd
		case a == "--platform":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}

// flagValue is the value of the first of the given flags in argv
// (-t NAME, -tNAME, --tag NAME or --tag=NAME).
func flagValue(argv []string, flags ...string) string {
	for i, a := range argv {
		for _, f := range flags {
			switch {
			case a == f && i+1 < len(argv):
				return argv[i+1]
			case strings.HasPrefix(a, f+"="):
				return strings.TrimPrefix(a, f+"=")
			case len(f) == 2 && strings.HasPrefix(a, f) && len(a) > 2 && a[1] != '-':
				return a[2:]
			}
		}
	}
	return ""
}

var projectNameInvalid = regexp.MustCompile(`[^a-z0-9_-]`)

// normalizeProjectName makes a directory name a project name as Compose
// does: lower case, only [a-z0-9_-].
func normalizeProjectName(s string) string {
	return strings.TrimLeft(projectNameInvalid.ReplaceAllString(strings.ToLower(s), ""), "_-")
}

func newHooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "Show scan summaries after docker pull, docker build and docker compose up",
		Long: `With hooks enabled, the Docker CLI prints one "What's next" line after
docker pull, docker build and docker compose up: the findings of the last
scan of the image (or of the compose project), or how to scan it. The hook
never scans, it reads what earlier scans left in the cache dir.

"hooks enable" sets features.hooks and plugins.scan.hooks in the Docker
CLI's config.json (DOCKER_CONFIG, or ~/.docker); "hooks disable" removes the
plugin's hooks.`,
		Args: cobra.NoArgs,
	}
	edit := func(enable bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.Dir())
			if err != nil {
				return fmt.Errorf("docker config: %w", err)
			}
			if enable {
				if cfg.Features == nil {
					cfg.Features = map[string]string{}
				}
				cfg.Features["hooks"] = "true"
				cfg.SetPluginConfig("scan", "hooks", hookedCommands)
			} else {
				cfg.SetPluginConfig("scan", "hooks", "")
			}
			if err := cfg.Save(); err != nil {
				return fmt.Errorf("docker config: %w", err)
			}
			state := "disabled"
			if enable {
				state = "enabled for " + hookedCommands
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "docker scan hooks %s (%s)\n", state, cfg.Filename)
			return err
		}
	}
	cmd.AddCommand(
		&cobra.Command{Use: "enable", Short: "Enable the hooks", Args: cobra.NoArgs, RunE: edit(true)},
		&cobra.Command{Use: "disable", Short: "Disable the hooks", Args: cobra.NoArgs, RunE: edit(false)},
	)
	return cmd
}
