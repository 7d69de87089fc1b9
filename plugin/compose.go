package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/compose"
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime"
)

// scannerMisconfig checks the compose files themselves.
const scannerMisconfig = "misconfig"

// composeOptions are the flags of the compose commands: how to load the
// project, as docker compose takes them, and every image-scan flag.
type composeOptions struct {
	image         imageOptions
	files         []string
	profiles      []string
	projectName   string
	envFiles      []string
	projectDir    string
	requireImages bool
	parallel      int
	misconfig     bool
}

func (o *composeOptions) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "compose file (repeatable; default: COMPOSE_FILE, or compose.yaml in the working directory or a parent)")
	f.StringArrayVar(&o.profiles, "profile", nil, "profile to enable (repeatable; default: COMPOSE_PROFILES)")
	f.StringVarP(&o.projectName, "project-name", "p", "", "project name (default: COMPOSE_PROJECT_NAME, the file's name:, or the directory's name)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "env file to use instead of the project's .env (repeatable)")
	f.StringVar(&o.projectDir, "project-directory", "", "project directory (default: the first compose file's directory)")
	f.BoolVar(&o.requireImages, "require-images", false, "fail services whose image is not built or pulled yet (by default they are reported, not failed)")
	f.IntVar(&o.parallel, "parallel", min(goruntime.NumCPU(), 4), "images scanned at once")
	o.image.compose = true
	o.image.registerFlags(f)
	o.image.scanners = append(o.image.scanners, scannerMisconfig)
	f.Lookup("scanners").DefValue = "[" + strings.Join(o.image.scanners, ",") + "]"
	f.Lookup("scanners").Usage = "what to look for: vuln (known vulnerabilities of packages), secret (leaked credentials), misconfig (risky settings in the compose files), license (the licences of the images' packages, classified), or none to list packages only"
	for _, name := range []string{"input", "runtime"} {
		_ = f.MarkHidden(name)
	}
}

func newComposeCommand(g *globalOptions, hooks Hooks) *cobra.Command {
	o := &composeOptions{}
	cmd := &cobra.Command{
		Use:   "compose [OPTIONS] [SERVICE...]",
		Short: "Scan every service image of a compose project",
		Long: `Scan the image of every service of a compose project (or of the SERVICEs
named), and check the compose files for risky settings.

The project is loaded as "docker compose" loads it: -f files or COMPOSE_FILE
or compose.yaml, .env, --env-file, profiles (--profile, COMPOSE_PROFILES),
include, extends and variable interpolation. A service's image is its image:
or, for a service that is only built, <project>-<service>, found in the
Docker engine, containerd, Podman or the registry (--image-src). A service
whose image is not built or pulled yet is reported, and fails only with
--require-images. Each distinct image is scanned once; images share layer
analysis.

--exit-code applies to the whole stack: any service failing the policy (a
vulnerability, secret or compose misconfiguration left after --severity and
the ignore file) makes the command exit with it.

Gate "docker compose up" with it three ways:
  docker scan compose --exit-code 1 && docker compose up -d
  a sidecar service running the docker-scan image ("compose sidecar")
  a Compose provider service (provider: {type: scan}), see "compose up"`,
		Example: `  docker scan compose
  docker scan compose -f compose.yaml -f compose.prod.yaml --profile debug web worker
  docker scan compose --severity HIGH,CRITICAL --exit-code 1 --format json -o stack.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := runCompose(cmd, g, o, hooks, args, compose.Mode{})
			if err != nil {
				return err
			}
			if code != 0 {
				hooks.exit(code)
			}
			return nil
		},
	}
	o.register(cmd)
	cmd.AddCommand(newComposeUpCommand(g, o, hooks), newComposeDownCommand(), newComposeMetadataCommand(cmd), newComposeSidecarCommand(g, o, hooks))
	return cmd
}

func (o *composeOptions) loadOptions() compose.LoadOptions {
	return compose.LoadOptions{Files: o.files, Profiles: o.profiles, ProjectName: o.projectName, EnvFiles: o.envFiles, WorkingDir: o.projectDir}
}

// runCompose loads the project, scans it and writes the report; it
// returns the exit code the policy calls for.
func runCompose(cmd *cobra.Command, g *globalOptions, o *composeOptions, hooks Hooks, services []string, mode compose.Mode) (int, error) {
	if o.image.input != "" || len(o.image.runtimes) > 0 {
		return 0, usageError(cmd, errors.New("--input and --runtime are for single images, not compose projects"))
	}
	if o.parallel < 1 {
		return 0, usageError(cmd, fmt.Errorf("--parallel must be at least 1, not %d", o.parallel))
	}
	if err := formatAsFile(o.files); err != nil {
		return 0, usageError(cmd, err)
	}
	o.misconfig = slices.Contains(o.image.scanners, scannerMisconfig)
	o.image.composeMisconfig = o.misconfig
	o.image.scanners = slices.DeleteFunc(slices.Clone(o.image.scanners), func(s string) bool { return s == scannerMisconfig })
	// Only the compose files: the images are looked at (their user and
	// healthcheck matter to the checks), not analysed.
	configOnly := len(o.image.scanners) == 0 && o.misconfig
	if configOnly {
		o.image.scanners = []string{"none"}
	}
	exitCode := o.image.exitCode
	if (mode.Provider || mode.Sidecar) && !cmd.Flags().Changed("exit-code") && os.Getenv(envPrefix+"EXIT_CODE") == "" {
		exitCode = 1 // a gate fails by default
	}
	settings, err := o.image.prepare(cmd, g)
	if err != nil {
		return 0, err
	}
	tableModes, err := tableModes(cmd)
	if err != nil {
		return 0, usageError(cmd, err)
	}
	// A bad --output fails now, not after every service is scanned.
	out, err := iox.OpenOutput(o.image.output, o.reportWriter(cmd, mode))
	if err != nil {
		return 0, err
	}
	defer out.Close()
	return withScanContext(cmd, g, func(ctx context.Context) (int, error) {
		removeOrphans(g)
		ropts := o.image.runtimeOptions(g, settings, hooks)
		opts := settings.scan
		opts.Shared = &scan.SharedLayers{}
		imageOpts := &o.image // shadowed in Scan below
		var prog *scanProgress
		var openDB func() (*db.DB, error)
		var closeDB func()
		defer func() {
			if closeDB != nil {
				closeDB()
			}
			if prog != nil {
				prog.stop()
			}
		}()
		_, code, err := compose.Run(ctx, compose.RunOptions{
			Load:     o.loadOptions(),
			Services: services,
			Mode:     mode,
			Docker: func() (compose.DockerClient, error) {
				return runtime.NewDockerClient(o.image.dockerHost)
			},
			Sources: ropts.Sources,
			Open: func(ctx context.Context, ref string, sources []string) (*types.Image, error) {
				ro := ropts
				ro.Sources = sources
				img, err := runtime.Open(ctx, ref, ro)
				var nf *runtime.NotFoundError
				if errors.As(err, &nf) {
					return nil, &compose.NotFoundError{Ref: nf.Ref, Answers: nf.Answers}
				}
				return img, err
			},
			Scan: func(ctx context.Context, img *types.Image) (*types.Report, error) {
				o := opts
				var err error
				if o.DB, err = openDB(); err != nil {
					return nil, err
				}
				rep, err := settings.scanImage(ctx, img, o)
				if err == nil {
					err = imageOpts.applyOCIVEX(ctx, rep, false)
				}
				return rep, err
			},
			Parallel:         o.parallel,
			RequireImages:    o.requireImages,
			ExitCode:         exitCode,
			ExitOnEOL:        o.image.exitOnEOL,
			Misconfig:        o.misconfig,
			ConfigOnly:       configOnly,
			DockerfileChecks: settings.scan.MisconfChecks, // custom ones too, when given
			Policy:           settings.scan.Policy,
			Start: func(ctx context.Context, _ *compose.Project, plan []compose.ServiceImage) (context.Context, error) {
				prog = newScanProgress(cmd, g, !mode.Provider)
				opts.Progress = prog
				ctx = runtime.WithExportProgress(ctx, prog)
				openDB, closeDB = o.image.dbOpener(ctx, g, cmd, settings)
				// The DB first: without it no image can be matched, and
				// that is one error, not one per service.
				if len(plan) > 0 {
					if _, err := openDB(); err != nil {
						return ctx, err
					}
				}
				return ctx, nil
			},
			Write: func(ctx context.Context, rep *types.StackReport) error {
				slog.Debug("layers analysed", "count", opts.Shared.Analysed())
				prog.stop() // the progress line is erased before the report
				return out.Commit(ctx, func(w io.Writer) error {
					return report.WriteStack(w, rep, o.image.reportOptions(settings, tableModes, o.image.output == "" && !mode.Provider && isTerminal(cmd.OutOrStdout())))
				})
			},
			Done: func(project *compose.Project, rep *types.StackReport, failed []string) {
				if slices.Contains(settings.scan.Scanners, scan.ScannerVuln) {
					for ref, r := range rep.Images {
						saveImageSummary(g.cacheDir, ref, r)
					}
				}
				saveSummary(g.cacheDir, projectKey(project.Name), summary{Name: project.Name, ScannedAt: time.Now().UTC(), Services: len(rep.Services), Failing: len(failed)})
			},
			Log: providerLog(cmd, mode),
		})
		return code, err
	})
}

// formatAsFile catches "docker scan compose -f json": -f is --file under
// compose, as in docker compose, but --format under image. A file named
// like a report format that does not exist was meant as a format.
func formatAsFile(files []string) error {
	for _, f := range files {
		if !report.ValidFormat(f) {
			continue
		}
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no compose file %q: -f is --file under compose (as in docker compose); for the report format use --format %s", f, f)
		}
	}
	return nil
}

// reportWriter is where the report goes: stdout, except for a provider,
// whose stdout carries Compose's JSON messages (the report then goes to
// stderr, or to --output).
func (o *composeOptions) reportWriter(cmd *cobra.Command, mode compose.Mode) io.Writer {
	if mode.Provider {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// providerLog sends progress as Compose's provider JSON messages on stdout
// (provider mode) or as log lines.
func providerLog(cmd *cobra.Command, mode compose.Mode) func(kind, msg string) {
	if !mode.Provider {
		return func(kind, msg string) {
			if kind == "error" {
				slog.Error(msg)
			} else {
				slog.Info(msg)
			}
		}
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	return func(kind, msg string) {
		_ = enc.Encode(struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}{kind, msg})
	}
}

func newComposeUpCommand(g *globalOptions, o *composeOptions, hooks Hooks) *cobra.Command {
	return &cobra.Command{
		Use:   "up [OPTIONS] SERVICE",
		Short: "Run as a Compose provider: scan the other services before they start",
		Long: `Compose (2.35 and later) runs this for a service declared as

  scan:
    provider:
      type: scan
      options:
        severity: HIGH,CRITICAL

as "docker-scan compose --project-name=NAME up --severity=HIGH,CRITICAL scan"
before it starts the services that depend on it. The project is read from
the files Compose used (its working directory, COMPOSE_FILE); every other
service's image is scanned. Progress and the verdict go to stdout as
Compose's JSON messages; the report goes to stderr (or --output). It exits
1 when a service fails the policy (--exit-code to change), which stops
"docker compose up".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := runCompose(cmd, g, o, hooks, nil, compose.Mode{Provider: true, Self: args[0]})
			if err != nil {
				// Compose shows error messages; the exit status fails up.
				providerLog(cmd, compose.Mode{Provider: true})("error", err.Error())
				return err
			}
			if code != 0 {
				hooks.exit(code)
			}
			return nil
		},
	}
}

func newComposeDownCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "down [OPTIONS] SERVICE",
		Short: "Compose provider teardown: nothing to undo",
		Args:  cobra.ExactArgs(1),
		RunE:  func(*cobra.Command, []string) error { return nil },
	}
}

// providerParameter describes one option of the provider to Compose.
type providerParameter struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Type        string `json:"type"`
	Default     string `json:"default,omitempty"`
}

func newComposeMetadataCommand(composeCmd *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "metadata",
		Short: "Describe the provider's options to Compose (JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var params []providerParameter
			add := func(f *pflag.Flag) {
				if f.Hidden || f.Name == "help" || f.Name == "file" || f.Name == "project-name" {
					return
				}
				params = append(params, providerParameter{Name: f.Name, Description: f.Usage, Type: f.Value.Type(), Default: strings.Trim(f.DefValue, "[]")})
			}
			composeCmd.PersistentFlags().VisitAll(add)
			composeCmd.Root().PersistentFlags().VisitAll(add)
			sort.Slice(params, func(i, j int) bool { return params[i].Name < params[j].Name })
			type command struct {
				Parameters []providerParameter `json:"parameters"`
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Description string  `json:"description"`
				Up          command `json:"up"`
				Down        command `json:"down"`
			}{
				Description: "Scans the images of the other services of the project for vulnerabilities, secrets and misconfigurations, and fails when they break the policy",
				Up:          command{Parameters: params},
				Down:        command{Parameters: []providerParameter{}},
			})
		},
	}
}

func newComposeSidecarCommand(g *globalOptions, o *composeOptions, hooks Hooks) *cobra.Command {
	return &cobra.Command{
		Use:   "sidecar [OPTIONS] [SERVICE...]",
		Short: "Run as a service of the project: scan the others, fail to keep them from starting",
		Long: `The docker-scan image runs this by default. As a service of a compose project,
with the Docker socket mounted (read-only) and the project directory mounted
at its working directory (/project), it scans every other service's image
and exits 1 when one fails the policy (--exit-code to change). Services that
declare

  depends_on:
    scan:
      condition: service_completed_successfully

are then never started by "docker compose up". With no compose file
mounted, the project comes from the compose labels of its containers.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := runCompose(cmd, g, o, hooks, args, compose.Mode{Sidecar: true})
			if err != nil {
				return err
			}
			if code != 0 {
				hooks.exit(code)
			}
			return nil
		},
	}
}
