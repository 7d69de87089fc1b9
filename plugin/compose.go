package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"time"

	ctypes "github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/compose"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/policy"
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
	f.Lookup("scanners").Usage = "what to look for: vuln (known vulnerabilities of packages), secret (leaked credentials), misconfig (risky settings in the compose files), or none to list packages only"
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
			code, err := runCompose(cmd, g, o, hooks, args, composeMode{})
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

// composeMode says how the scan was started.
type composeMode struct {
	// provider: as a Compose provider service; self is its service.
	provider bool
	// sidecar: as a service of the project, in its own container.
	sidecar bool
	// self is the scanner's own service, left out of the scan.
	self string
}

func (o *composeOptions) loadOptions() compose.LoadOptions {
	return compose.LoadOptions{Files: o.files, Profiles: o.profiles, ProjectName: o.projectName, EnvFiles: o.envFiles, WorkingDir: o.projectDir}
}

// runCompose loads the project, scans it and writes the report; it
// returns the exit code the policy calls for.
func runCompose(cmd *cobra.Command, g *globalOptions, o *composeOptions, hooks Hooks, services []string, mode composeMode) (int, error) {
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
	if (mode.provider || mode.sidecar) && !cmd.Flags().Changed("exit-code") && os.Getenv(envPrefix+"EXIT_CODE") == "" {
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
		project, plan, err := o.plan(ctx, cmd, g, services, mode)
		if err != nil {
			return 0, err
		}
		progress := providerLog(cmd, mode)
		progress("info", fmt.Sprintf("scanning %d services (%d images) of project %s", len(plan), len(compose.Images(plan)), project.Name))
		prog := newScanProgress(cmd, g, !mode.provider)
		defer prog.stop()
		ctx = runtime.WithExportProgress(ctx, prog)
		ropts := o.image.runtimeOptions(g, settings, hooks)
		openDB, closeDB := o.image.dbOpener(ctx, g, cmd, settings)
		defer closeDB()
		// The DB first: without it no image can be matched, and that is
		// one error, not one per service.
		if len(plan) > 0 {
			if _, err := openDB(); err != nil {
				return 0, err
			}
		}
		opts := settings.scan
		opts.Shared = &scan.SharedLayers{}
		opts.Progress = prog
		buildOnly := map[string]bool{}
		for _, s := range plan {
			if s.BuildOnly {
				buildOnly[s.Image] = true
			}
		}
		imageOpts := &o.image // shadowed in Scan below
		runner := compose.Runner{
			Open: func(ctx context.Context, ref string) (*types.Image, error) {
				if !buildOnly[ref] {
					return runtime.Open(ctx, ref, ropts)
				}
				// What a service builds is never pulled: look in the
				// engines only.
				ro := ropts
				ro.Sources = slices.DeleteFunc(slices.Clone(ropts.Sources), func(s string) bool { return s == runtime.SourceRemote })
				notPulled := "remote: not looked up for an image the project builds"
				if len(ro.Sources) == 0 {
					return nil, &runtime.NotFoundError{Ref: ref, Answers: []string{notPulled}}
				}
				img, err := runtime.Open(ctx, ref, ro)
				var nf *runtime.NotFoundError
				if errors.As(err, &nf) && len(ro.Sources) < len(ropts.Sources) {
					nf.Answers = append(nf.Answers, notPulled)
				}
				return img, err
			},
			Scan: func(ctx context.Context, img *types.Image) (*types.Report, error) {
				if configOnly {
					return &types.Report{SchemaVersion: types.SchemaVersion, ArtifactName: img.Name, ArtifactType: types.ArtifactTypeContainerImage, Metadata: types.Metadata{ImageID: img.ID, RepoTags: img.RepoTags}}, nil
				}
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
			Fails: func(rep *types.Report) bool {
				return policy.ExitCode(rep, policy.ExitOptions{ExitCode: 1, ExitOnEOL: min(o.image.exitOnEOL, 1)}) != 0
			},
			Parallel:      o.parallel,
			RequireImages: o.requireImages,
		}
		rep, facts, err := runner.Run(ctx, project, plan)
		if err != nil {
			return 0, err
		}
		slog.Debug("layers analysed", "count", opts.Shared.Analysed())
		if o.misconfig && len(project.Files) > 0 {
			var names []string
			for _, s := range plan {
				names = append(names, s.Service)
			}
			dockerfileChecks := settings.scan.MisconfChecks // custom ones too, when given
			if dockerfileChecks == nil {
				dockerfileChecks = misconf.DockerfileChecks
			}
			results, issues := compose.CheckConfigs(project, names, facts, dockerfileChecks)
			for _, issue := range issues {
				slog.Warn("cannot check a Dockerfile: "+issue.Reason, "file", issue.FilePath)
			}
			rep.Misconfigurations = policy.FilterMisconfigurations(results, settings.scan.Policy)
			for _, res := range rep.Misconfigurations {
				for _, m := range res.Misconfigurations {
					for _, name := range compose.FindingServices(m) {
						if sr, ok := rep.Services[name]; ok {
							sr.Pass = false
							rep.Services[name] = sr
						}
					}
				}
			}
		}
		prog.stop() // the progress line is erased before the report
		err = out.Commit(ctx, func(w io.Writer) error {
			return report.WriteStack(w, rep, o.image.reportOptions(settings, tableModes, o.image.output == "" && !mode.provider && isTerminal(cmd.OutOrStdout())))
		})
		if err != nil {
			return 0, err
		}
		failed := summarize(rep, progress)
		var broken []string
		for _, name := range slices.Sorted(maps.Keys(rep.Services)) {
			if e := rep.Services[name].Error; e != "" {
				broken = append(broken, name+": "+e)
			}
		}
		if slices.Contains(settings.scan.Scanners, scan.ScannerVuln) {
			for ref, r := range rep.Images {
				saveImageSummary(g.cacheDir, ref, r)
			}
		}
		saveSummary(g.cacheDir, projectKey(project.Name), summary{Name: project.Name, ScannedAt: time.Now().UTC(), Services: len(rep.Services), Failing: len(failed)})
		if len(broken) > 0 {
			// The report is out; a scan that could not be done is an error
			// whatever the policy says.
			return 0, fmt.Errorf("%d of %d services could not be scanned: %s", len(broken), len(rep.Services), strings.Join(broken, "; "))
		}
		if len(failed) == 0 {
			progress("info", fmt.Sprintf("all %d services pass", len(rep.Services)))
			return 0, nil
		}
		if exitCode == 0 {
			return 0, nil
		}
		if mode.provider {
			progress("error", fmt.Sprintf("%d of %d services fail the scan policy: %s", len(failed), len(rep.Services), strings.Join(failed, "; ")))
		}
		return exitCode, nil
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
func (o *composeOptions) reportWriter(cmd *cobra.Command, mode composeMode) io.Writer {
	if mode.provider {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// summarize reports one line per failing service and returns them.
func summarize(rep *types.StackReport, progress func(kind, msg string)) []string {
	names := make([]string, 0, len(rep.Services))
	for n := range rep.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	misconf := map[string]int{}
	for _, res := range rep.Misconfigurations {
		for _, m := range res.Misconfigurations {
			for _, name := range compose.FindingServices(m) {
				misconf[name]++
			}
		}
	}
	var failed []string
	for _, n := range names {
		s := rep.Services[n]
		var parts []string
		for i := len(types.SeverityNames) - 1; i >= 0; i-- { // most severe first
			if c := s.Vulnerabilities[types.SeverityNames[i]]; c > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c, types.SeverityNames[i]))
			}
		}
		if s.Secrets > 0 {
			parts = append(parts, fmt.Sprintf("%d secrets", s.Secrets))
		}
		if c := misconf[n]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d misconfigurations", c))
		}
		switch {
		case s.Missing != "":
			parts = append(parts, "image not built or pulled yet")
		case s.Error != "":
			parts = append(parts, "scan failed: "+s.Error)
		}
		line := n + " (" + s.Image + ")"
		if len(parts) > 0 {
			line += ": " + strings.Join(parts, ", ")
		}
		if s.Pass {
			progress("info", line+": pass")
			continue
		}
		progress("info", line+": FAIL")
		failed = append(failed, line)
	}
	return failed
}

// providerLog sends progress as Compose's provider JSON messages on stdout
// (provider mode) or as log lines.
func providerLog(cmd *cobra.Command, mode composeMode) func(kind, msg string) {
	if !mode.provider {
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

// plan loads the project and lists the services to scan.
func (o *composeOptions) plan(ctx context.Context, cmd *cobra.Command, g *globalOptions, services []string, mode composeMode) (*compose.Project, []compose.ServiceImage, error) {
	if mode.sidecar {
		return o.sidecarPlan(ctx, services)
	}
	project, err := compose.Load(ctx, o.loadOptions())
	if mode.provider && (err != nil || !isProvider(project, mode.self)) {
		project, err = o.providerProject(ctx, project, err, mode.self)
	}
	if err != nil {
		return nil, nil, err
	}
	var skip []string
	if mode.self != "" {
		skip = append(skip, mode.self)
	}
	plan, err := project.Plan(services, skip...)
	if err != nil {
		return nil, nil, err
	}
	return project, plan, nil
}

func isProvider(p *compose.Project, service string) bool {
	s, err := p.GetService(service)
	return err == nil && s.Provider != nil
}

// providerProject finds the project when the files in Compose's working
// directory (and COMPOSE_FILE) are not the ones it ran with (docker compose
// -f elsewhere/compose.yaml up): the config-file labels of the project's
// containers from an earlier up name them.
func (o *composeOptions) providerProject(ctx context.Context, found *compose.Project, loadErr error, self string) (*compose.Project, error) {
	hint := fmt.Sprintf("cannot find the compose files of project %s (the provider service %q is not in them): run docker compose from the project directory, or set COMPOSE_FILE", o.projectName, self)
	if loadErr != nil {
		hint += " (" + loadErr.Error() + ")"
	}
	c, err := runtime.NewDockerClient(o.image.dockerHost)
	if err != nil {
		return nil, errors.New(hint)
	}
	defer c.Close()
	files, dir := compose.ConfigFilesFromLabels(ctx, c, o.projectName)
	if len(files) == 0 || !allExist(files) {
		return nil, errors.New(hint)
	}
	lo := o.loadOptions()
	lo.Files, lo.WorkingDir = files, dir
	p, err := compose.Load(ctx, lo)
	if err != nil || !isProvider(p, self) {
		return nil, errors.New(hint)
	}
	slog.Debug("project files from container labels", "files", files)
	return p, nil
}

// sidecarPlan finds the project from inside one of its containers: the
// compose files mounted in the working directory (or at --project-directory,
// or -f), else the files its labels name if they are visible here, else
// the images of the project's containers.
func (o *composeOptions) sidecarPlan(ctx context.Context, services []string) (*compose.Project, []compose.ServiceImage, error) {
	c, err := runtime.NewDockerClient(o.image.dockerHost)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	self, err := compose.FindSelf(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	slog.Info("sidecar", "project", self.Project, "service", self.Service)
	lo := o.loadOptions()
	if lo.ProjectName == "" {
		lo.ProjectName = self.Project
	}
	if len(lo.Files) == 0 && !hasComposeFile(lo.WorkingDir) && allExist(self.ConfigFiles) {
		lo.Files, lo.WorkingDir = self.ConfigFiles, self.WorkingDir
	}
	// The containers Compose created for the project carry the images as
	// Compose resolved them, with the variables of the shell that ran it.
	images, err := compose.ContainerImages(ctx, c, self.Project)
	if err != nil {
		return nil, nil, err
	}
	if len(lo.Files) > 0 || hasComposeFile(lo.WorkingDir) {
		// Variables of the shell that ran Compose are not set here: the
		// containers have the images; their warnings would only confuse.
		logrus.SetLevel(logrus.ErrorLevel)
		defer logrus.SetLevel(logrus.DebugLevel)
		project, err := compose.Load(ctx, lo)
		if err == nil {
			plan, err := project.Plan(services, self.Service)
			if err != nil {
				return nil, nil, err
			}
			project.UseContainerImages(plan, images)
			return project, plan, nil
		}
		if len(images) == 0 {
			return nil, nil, err
		}
		slog.Warn("cannot load the mounted compose files here; scanning the images of the project's containers", "error", err)
	} else {
		slog.Info("no compose file mounted: scanning the images of the project's containers", "project", self.Project)
	}
	if len(services) > 0 {
		for svc := range images {
			if !slices.Contains(services, svc) {
				delete(images, svc)
			}
		}
	}
	return &compose.Project{Project: &ctypes.Project{Name: self.Project}}, compose.PlanFromContainers(images, self.Service), nil
}

// hasComposeFile tells whether dir (or the working directory) holds a
// compose file under one of its default names.
func hasComposeFile(dir string) bool {
	if dir == "" {
		dir = "."
	}
	for _, name := range []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

func allExist(files []string) bool {
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return len(files) > 0
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
			code, err := runCompose(cmd, g, o, hooks, nil, composeMode{provider: true, self: args[0]})
			if err != nil {
				// Compose shows error messages; the exit status fails up.
				providerLog(cmd, composeMode{provider: true})("error", err.Error())
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
			code, err := runCompose(cmd, g, o, hooks, args, composeMode{sidecar: true})
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
