package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	units "github.com/docker/go-units"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/analyze/secret"
	"github.com/docker-scan/docker-scan/engine/cache"
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/server"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime"
)

// scannerNames are the valid --scanners values; "none" lists packages
// without matching them.
var scannerNames = []string{scan.ScannerVuln, scan.ScannerSecret, scan.ScannerMisconfig, scan.ScannerLicense, "none"}

// imageOptions are the flags of an image scan.
type imageOptions struct {
	input       string
	platform    string
	format      string
	output      string
	listAllPkgs bool
	scanners    []string
	skipFiles   []string
	skipDirs    []string

	// Report options: --template, --dependency-tree, --show-suppressed.
	template       string
	dependencyTree bool
	showSuppressed bool
	// vex are the --vex sources: files, or "oci" (the image's referrers).
	vex []string
	// sbomSources are where to look for an SBOM the image carries
	// (--sbom-sources oci), to scan instead of its layers.
	sbomSources []string
	// scannersSet: --scanners was given, so an SBOM format does not turn
	// the vulnerability scan off.
	scannersSet bool

	// listAllPkgsSet: --list-all-pkgs was given (flag, environment or
	// config file), so it wins over what the output needs by default.
	listAllPkgsSet bool

	severities     []string
	ignoreUnfixed  bool
	ignoreStatuses []string
	ignoreFile     string
	exitCode       int
	exitOnEOL      int

	cache cacheOptions

	secretConfig    string
	secretConfigSet bool

	// misconf: custom checks (--config-check, --check-namespaces);
	// imageConfigScanners: Trivy's --image-config-scanners.
	misconf             misconfOptions
	imageConfigScanners []string
	// license: the licence scanner's flags.
	license licenseOptions

	imageSources []string
	maxInputSize string
	dockerHost   string
	containerd   runtime.ContainerdOptions
	podmanHost   string
	runtimes     []string
	pkgTypes     []string

	// Trivy's --distro and --detection-priority.
	distro            string
	detectionPriority string

	db dbOptions

	// remote: --server and its token.
	remote remoteOptions

	// compose: -f is --file there, as in docker compose.
	compose bool
	// composeMisconfig: compose runs the misconfig checks itself (its
	// files and the services' build Dockerfiles), so --config-check
	// applies although no image is scanned for misconfigurations.
	composeMisconfig bool
}

func (o *imageOptions) formatShorthand() string {
	if o.compose {
		return ""
	}
	return "f"
}

func (o *imageOptions) register(cmd *cobra.Command) { o.registerFlags(cmd.Flags()) }

// registerFlags adds the flags to f (a compose command shares them with its
// subcommands as persistent flags).
func (o *imageOptions) registerFlags(f *pflag.FlagSet) {
	f.StringVar(&o.input, "input", "", "read the image from a docker save tarball or OCI archive (plain or gzipped), or an OCI layout directory; select one image with FILE:TAG, FILE:REPO:TAG (a full reference also works) or FILE@sha256:DIGEST")
	f.StringVar(&o.maxInputSize, "max-input-size", "", "largest size a gzipped --input archive (or one read from a pipe) may take in the cache dir once decompressed, e.g. 20GiB (default: 100 times its compressed size, at least 1 GiB; a pipe 16 GiB)")
	f.StringVar(&o.platform, "platform", "", "platform of a multi-platform image, as OS/ARCH[/VARIANT] (default linux/"+goruntime.GOARCH+")")
	f.StringVarP(&o.format, "format", o.formatShorthand(), "table", "report format: "+strings.Join(report.Formats, ", "))
	registerTableMode(f)
	f.StringVarP(&o.template, "template", "t", "", "Go template for --format template: the template text, or @FILE (contrib/junit.tpl, contrib/html.tpl, or one of Trivy's)")
	f.BoolVar(&o.dependencyTree, "dependency-tree", false, "in the table, show under each vulnerable package the chain of packages that pull it in")
	f.StringSliceVar(&o.vex, "vex", nil, "VEX documents whose not_affected and fixed statements suppress findings: OpenVEX, CycloneDX VEX or CSAF VEX files, or oci (the image's VEX attestations in its registry); repeatable")
	f.BoolVar(&o.showSuppressed, "show-suppressed", false, "list the findings VEX statements suppressed, with each statement")
	f.StringSliceVar(&o.sbomSources, "sbom-sources", nil, "scan an SBOM the image carries instead of its layers: oci (a BuildKit SBOM attestation next to the image)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output (- is standard output). A regular file is replaced whole once the report is complete (a symlink is followed and its target replaced; a hard-linked file gets a new inode, its other names keep the old content); a device or FIFO such as /dev/null is written in place")
	f.BoolVar(&o.listAllPkgs, "list-all-pkgs", false, "list every package in the report, not only the vulnerable ones (Trivy's default, so JSON reports match; always on with --scanners none, where the packages are the report, and with --runtime, which compares them)")
	recordSet(f.Lookup("list-all-pkgs"), &o.listAllPkgsSet)
	f.StringSliceVar(&o.scanners, "scanners", []string{scan.ScannerVuln, scan.ScannerSecret}, "what to look for: vuln (known vulnerabilities of packages), secret (leaked credentials), misconfig (risky settings of the Dockerfiles in the image and of its config, whose history is checked as a Dockerfile), license (the licences of packages, classified forbidden to unencumbered; not in the default set, as in Trivy), or none to list packages only (default none for --format cyclonedx and spdx, which then list packages only, as in Trivy)")
	f.StringSliceVar(&o.imageConfigScanners, "image-config-scanners", nil, "what to look for in the image config alone (Trivy's flag): misconfig (its history checked as a Dockerfile), secret (its environment, labels and history searched for secrets)")
	o.misconf.registerFlags(f)
	o.license.registerFlags(f)
	recordSet(f.Lookup("scanners"), &o.scannersSet)
	f.StringSliceVar(&o.pkgTypes, "pkg-types", []string{scan.PkgTypeOS, scan.PkgTypeLibrary}, "packages to report and match: os (the distribution's), library (language packages: Node.js, Python, Java, Go, Rust, .NET, Ruby, PHP)")
	f.StringSliceVar(&o.skipFiles, "skip-files", nil, "files no analyzer reads (globs, ** allowed; repeatable)")
	f.StringSliceVar(&o.skipDirs, "skip-dirs", nil, "directories no analyzer reads (globs, ** allowed; repeatable)")
	f.StringSliceVarP(&o.severities, "severity", "s", types.SeverityNames, "severities to report (comma list)")
	f.BoolVar(&o.ignoreUnfixed, "ignore-unfixed", false, "report only vulnerabilities that have a fix")
	f.StringSliceVar(&o.ignoreStatuses, "ignore-status", nil, "statuses not to report: "+strings.Join(types.StatusNames, ", "))
	f.StringVar(&o.ignoreFile, "ignorefile", policy.DefaultIgnoreFile, "file of findings to ignore by ID: vulnerabilities, secret rules, checks, licences (plain, or YAML when it ends in .yaml, with entries per kind)")
	f.IntVar(&o.exitCode, "exit-code", 0, "exit with this code when any finding remains after filtering: a vulnerability, a secret or a misconfiguration; 0 exits 0 whatever is found")
	f.IntVar(&o.exitOnEOL, "exit-on-eol", 0, "exit with this code when the image's OS is past its end of support")
	f.StringVar(&o.secretConfig, "secret-config", secret.DefaultConfigFile, "secret-scan config (Trivy's keys: enable-builtin-rules, disable-rules, disable-allow-rules, rules, allow-rules, exclude-block, skip-patterns)")
	o.cache.registerFlags(f)
	f.StringSliceVar(&o.imageSources, "image-src", runtime.DefaultSources, "where to look for IMAGE, in order: docker (the Docker engine), containerd, podman, remote (the registry)")
	f.StringVar(&o.dockerHost, "docker-host", "", "Docker engine to ask (default: the Docker CLI's current context, or DOCKER_HOST)")
	f.StringVar(&o.containerd.Address, "containerd-address", "", "containerd socket (default: CONTAINERD_ADDRESS, or "+runtime.DefaultContainerdAddress+")")
	f.StringSliceVar(&o.runtimes, "runtime", nil, "scan IMAGE in each of these runtimes (docker, containerd, podman, or all) and report each, with what differs between them")
	f.StringVar(&o.podmanHost, "podman-host", "", "Podman API socket, unix://PATH (default: CONTAINER_HOST, or "+strings.Join(runtime.PodmanSockets(), ", ")+")")
	f.StringVar(&o.containerd.Namespace, "containerd-namespace", "", "containerd namespace (default: CONTAINERD_NAMESPACE, or search "+strings.Join(runtime.DefaultContainerdNamespaces, ", ")+")")
	f.StringVar(&o.distro, "distro", "", "match OS packages as this distribution instead of the OS found in the image, as FAMILY/VERSION (families: "+strings.Join(scan.DistroFamilies(), ", ")+"; e.g. alpine/3.20, debian/12)")
	f.StringVar(&o.detectionPriority, "detection-priority", scan.PriorityPrecise, "precise: language packages that an OS package installed are matched against the OS vendor's advisories only; comprehensive: also against upstream ones, finding more at the cost of false positives where vendors backport fixes (Trivy's other comprehensive rules, for Red Hat packages, go.mod files and version ranges, concern nothing docker scan reads)")
	o.db.registerFlags(f)
	o.remote.registerFlags(f)
}

func newImageCommand(g *globalOptions, hooks Hooks) *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "image [OPTIONS] IMAGE",
		Short: "Scan a container image",
		Long: `Scan a container image for known vulnerabilities in its OS packages.

IMAGE is a registry reference (alpine:3.20, registry.example.com/app@sha256:...).
With --input the image is read from a file or directory instead, and IMAGE
may be omitted.

The vulnerability DB is downloaded into the cache dir on first use and
refreshed when the publisher's next update is due; see "db --help".`,
		Example: `  docker scan image alpine:3.20
  docker scan image --input image.tar --format json --output report.json
  docker scan image --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1 app:latest
  docker scan image --input ./oci-layout:v1.2 --platform linux/arm64`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImage(cmd, g, o, args, hooks)
		},
	}
	o.register(cmd)
	return cmd
}

func runImage(cmd *cobra.Command, g *globalOptions, o *imageOptions, args []string, hooks Hooks) error {
	code, err := scanImage(cmd, g, o, args, hooks)
	if err != nil {
		return err
	}
	if code != 0 {
		hooks.exit(code)
	}
	return nil
}

func scanImage(cmd *cobra.Command, g *globalOptions, o *imageOptions, args []string, hooks Hooks) (int, error) {
	ref := ""
	if len(args) > 0 {
		ref = args[0]
	}
	if ref == "" && o.input == "" {
		return 0, usageError(cmd, errors.New("no image given: name an image reference or use --input FILE|DIR"))
	}
	settings, err := o.prepare(cmd, g)
	if err != nil {
		return 0, err
	}
	tableModes, err := tableModes(cmd)
	if err != nil {
		return 0, usageError(cmd, err)
	}
	// A bad --output fails now, not after a scan of many minutes.
	out, err := iox.OpenOutput(o.output, cmd.OutOrStdout())
	if err != nil {
		return 0, err
	}
	defer out.Close()
	return withScanContext(cmd, g, func(ctx context.Context) (int, error) {
		removeOrphans(g)
		prog := newScanProgress(cmd, g, true)
		defer prog.stop()
		ctx = runtime.WithExportProgress(ctx, prog)
		settings.scan.Progress = prog
		ropts := o.runtimeOptions(g, settings, hooks)
		// The image is found before the DB is opened, so that a typo does
		// not cost a DB download.
		openDB, closeDB := o.dbOpener(ctx, g, cmd, settings)
		defer closeDB()
		var rep *types.Report
		var err error
		if len(settings.runtimes) > 0 {
			rep, err = scanRuntimes(ctx, ref, settings, ropts, openDB)
		} else {
			rep, err = scanOne(ctx, ref, o.input != "", settings, ropts, openDB)
		}
		if err != nil {
			return 0, err
		}
		if err := o.applyOCIVEX(ctx, rep, true); err != nil {
			return 0, err
		}
		// What the CLI hooks show: only a scan for vulnerabilities can say
		// "none found".
		if ref != "" && o.input == "" && len(settings.runtimes) == 0 && slices.Contains(settings.scan.Scanners, scan.ScannerVuln) {
			saveImageSummary(g.cacheDir, ref, rep)
		}
		prog.stop() // the progress line is erased before the report
		err = out.Commit(ctx, func(w io.Writer) error {
			return report.Write(w, rep, o.reportOptions(settings, tableModes, o.output == "" && isTerminal(cmd.OutOrStdout())))
		})
		if err != nil {
			return 0, err
		}
		return policy.ExitCode(rep, policy.ExitOptions{ExitCode: o.exitCode, ExitOnEOL: o.exitOnEOL}), nil
	})
}

// prepare checks the flags and loads what they name (the ignore file)
// into the scan settings, with the layer cache.
func (o *imageOptions) prepare(cmd *cobra.Command, g *globalOptions) (imageSettings, error) {
	o.secretConfigSet = cmd.Flags().Changed("secret-config")
	settings, err := o.validate()
	if err != nil {
		return settings, usageError(cmd, err)
	}
	ignore, err := policy.LoadIgnoreFile(o.ignoreFile, cmd.Flags().Changed("ignorefile"))
	if err != nil {
		return settings, err
	}
	settings.scan.Policy.Ignore = ignore
	if err := o.loadVEX(&settings); err != nil {
		return settings, err
	}
	settings.scan.TempDir = g.tempDir()
	layerCache, err := cache.Open(o.cache.backend, o.cache.openOptions(g.cacheDir, analyze.ResultSchemaVersion))
	if err != nil {
		return settings, usageError(cmd, err)
	}
	settings.scan.Cache = layerCache
	return settings, nil
}

// withScanContext runs a scan under --timeout, cancelled by Ctrl-C and
// SIGTERM like a timeout is, so that every deferred cleanup (temp files)
// runs before the process exits; it words the errors of both.
func withScanContext(cmd *cobra.Command, g *globalOptions, run func(ctx context.Context) (int, error)) (int, error) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := withTimeout(ctx, g.timeout)
	defer cancel()
	code, err := run(ctx)
	switch {
	case err == nil:
		return code, nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return 0, fmt.Errorf("scan timed out after %s (raise the limit with --timeout)", g.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return 0, errors.New("scan interrupted")
	}
	return 0, err
}

func (o *imageOptions) runtimeOptions(g *globalOptions, settings imageSettings, hooks Hooks) runtime.Options {
	return runtime.Options{
		Input:        o.input,
		Platform:     settings.platform,
		PlatformSet:  o.platform != "",
		Insecure:     o.db.insecure,
		TempDir:      g.tempDir(),
		Sources:      o.imageSources,
		Docker:       hooks.dockerClient(o.dockerHost),
		Containerd:   o.containerd,
		PodmanHost:   o.podmanHost,
		MaxInputSize: settings.maxInputSize,
	}
}

// parseSize reads a size such as 512MiB or 20g; empty is 0 (the default).
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q: want a number of bytes with an optional unit, e.g. 20GiB", s)
	}
	return n, nil
}

// dbOpener returns a function that opens the DB on first use (nil when no
// scanner needs it; safe for concurrent calls), and one that closes it.
func (o *imageOptions) dbOpener(ctx context.Context, g *globalOptions, cmd *cobra.Command, settings imageSettings) (func() (*db.DB, error), func()) {
	var once sync.Once
	var vulnDB *db.DB
	var openErr error
	open := func() (*db.DB, error) {
		if !slices.Contains(settings.scan.Scanners, scan.ScannerVuln) || settings.remote != nil {
			// The scan server matches with its own DB.
			return nil, nil
		}
		once.Do(func() { vulnDB, openErr = o.db.open(ctx, g, cmd.ErrOrStderr()) })
		return vulnDB, openErr
	}
	return open, func() {
		if vulnDB != nil {
			vulnDB.Close()
		}
	}
}

type imageSettings struct {
	platform v1.Platform
	scan     scan.Options
	// runtimes to scan the reference in, each (--runtime).
	runtimes []string
	// maxInputSize is --max-input-size in bytes; 0 is the default budget.
	maxInputSize int64
	// sbomOCI: scan the image's SBOM attestation, when it has one,
	// instead of its layers (--sbom-sources oci).
	sbomOCI bool
	// remote, when set, detects through a scan server (--server).
	remote *server.Client
}

// scanOne scans the image that the first source to have it holds.
func scanOne(ctx context.Context, ref string, fromInput bool, settings imageSettings, ropts runtime.Options, openDB func() (*db.DB, error)) (*types.Report, error) {
	if settings.sbomOCI {
		if rep, ok, err := scanAttestation(ctx, ref, settings, ropts, openDB); ok || err != nil {
			return rep, err
		}
	}
	img, err := runtime.Open(ctx, ref, ropts)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if ref != "" && fromInput {
		img.Name = ref
	}
	if settings.scan.DB, err = openDB(); err != nil {
		return nil, err
	}
	return settings.scanImage(ctx, img, settings.scan)
}

// scanRuntimes scans what each runtime holds under ref. Images with the
// same layers share their analysis through the layer cache.
func scanRuntimes(ctx context.Context, ref string, settings imageSettings, ropts runtime.Options, openDB func() (*db.DB, error)) (*types.Report, error) {
	if ref == "" {
		return nil, errors.New("--runtime needs an image reference")
	}
	var reports []scan.RuntimeReport
	var failures []string
	for _, f := range runtime.OpenEach(ctx, ref, settings.runtimes, ropts) {
		if f.Err != nil {
			reports = append(reports, scan.RuntimeReport{Runtime: f.Source, Err: f.Err})
			failures = append(failures, f.Source+": "+f.Err.Error())
			continue
		}
		rep, err := func() (*types.Report, error) {
			defer f.Image.Close()
			var err error
			if settings.scan.DB, err = openDB(); err != nil {
				return nil, err
			}
			return settings.scanImage(ctx, f.Image, settings.scan)
		}()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Source, err)
		}
		reports = append(reports, scan.RuntimeReport{Runtime: f.Source, Report: rep})
	}
	if len(failures) == len(reports) {
		return nil, fmt.Errorf("image %s not found in any runtime (%s)", ref, strings.Join(failures, "; "))
	}
	return scan.JoinRuntimes(ref, reports), nil
}

// validate checks every flag before any work starts and turns them into
// engine options.
func (o *imageOptions) validate() (imageSettings, error) {
	var s imageSettings
	if !report.ValidFormat(o.format) {
		return s, fmt.Errorf("unknown --format %q (choose one of %s)", o.format, strings.Join(report.Formats, ", "))
	}
	switch {
	case o.format == "template" && o.template == "":
		return s, errors.New("--format template needs --template TEXT or --template @FILE")
	case o.format != "template" && o.template != "":
		return s, fmt.Errorf("--template is read only with --format template, not --format %s", o.format)
	case o.dependencyTree && o.format != "table":
		// A warning, as in Trivy, so that a shared config file with
		// dependency-tree: true still works for JSON runs.
		slog.Warn(fmt.Sprintf("--dependency-tree draws into the table: it is ignored with --format %s", o.format))
		o.dependencyTree = false
	}
	if o.format == "template" {
		// A broken template fails now, not after the scan.
		if err := report.ValidateTemplate(o.template); err != nil {
			return s, fmt.Errorf("--template: %w", err)
		}
	}
	scanners := o.scanners
	if report.ScansOnlyPackagesByDefault(o.format) && !o.scannersSet {
		// An SBOM lists packages; vulnerabilities only when asked
		// (--scanners vuln), as in Trivy.
		scanners = []string{"none"}
		slog.Info(fmt.Sprintf("--format %s lists packages only; add --scanners vuln to include their vulnerabilities", o.format))
	}
	s.platform = v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}
	if o.platform != "" {
		p, err := v1.ParsePlatform(o.platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return s, fmt.Errorf("bad --platform %q: want OS/ARCH[/VARIANT], e.g. linux/amd64", o.platform)
		}
		s.platform = *p
	}
	var err error
	if s.maxInputSize, err = parseSize(o.maxInputSize); err != nil {
		return s, fmt.Errorf("--max-input-size: %w", err)
	}
	if s.remote, err = o.remote.client(); err != nil {
		return s, err
	}
	s.scan = scan.DefaultOptions()
	packagesOnly := !slices.ContainsFunc(scanners, func(name string) bool { return name != "none" })
	// An SBOM lists every package, and a dependency tree walks them.
	s.scan.ListAllPackages = o.listAllPkgs || !o.listAllPkgsSet && (packagesOnly || len(o.runtimes) > 0) ||
		report.IsSBOM(o.format) || o.dependencyTree
	s.scan.Analysis.SkipFiles, s.scan.Analysis.SkipDirs = o.skipFiles, o.skipDirs
	if err := s.scan.Analysis.ValidatePatterns(); err != nil {
		return s, fmt.Errorf("--skip-files/--skip-dirs: %w", err)
	}
	for _, name := range scanners {
		if !slices.Contains(scannerNames, name) {
			return s, fmt.Errorf("unknown scanner %q in --scanners (choose from %s)", name, strings.Join(scannerNames, ", "))
		}
		if name != "none" && !slices.Contains(s.scan.Scanners, name) {
			s.scan.Scanners = append(s.scan.Scanners, name)
		}
	}
	if s.scan.ImageConfigScanners, err = imageConfigScanners(o.imageConfigScanners); err != nil {
		return s, err
	}
	if err := o.license.apply(&s.scan); err != nil {
		return s, err
	}
	if slices.Contains(s.scan.Scanners, scan.ScannerMisconfig) || slices.Contains(s.scan.ImageConfigScanners, scan.ImageConfigMisconfig) || o.composeMisconfig {
		// Loaded now, so that a broken check fails before any image is read.
		if s.scan.MisconfChecks, err = o.misconf.checks(); err != nil {
			return s, err
		}
	} else if len(o.misconf.checkPaths) > 0 {
		return s, errors.New("--config-check runs with the misconfig scanner: add --scanners misconfig (or --image-config-scanners misconfig)")
	}
	if slices.Contains(s.scan.Scanners, scan.ScannerSecret) || slices.Contains(s.scan.ImageConfigScanners, scan.ImageConfigSecret) {
		cfg, err := secret.LoadConfig(o.secretConfig, o.secretConfigSet)
		if err != nil {
			return s, err
		}
		// Built now, although the engine builds its own, so that a bad
		// rule fails before any image is read.
		if _, err := analyze.SecretAnalyzers(cfg); err != nil {
			return s, err
		}
		s.scan.SecretConfig = cfg
	}
	for _, name := range o.severities {
		sev, err := types.ParseSeverity(name)
		if err != nil {
			return s, fmt.Errorf("--severity: %w", err)
		}
		s.scan.Policy.Severities = append(s.scan.Policy.Severities, sev)
	}
	for _, name := range o.ignoreStatuses {
		st, err := types.ParseStatus(name)
		if err != nil {
			return s, fmt.Errorf("--ignore-status: %w", err)
		}
		s.scan.Policy.IgnoreStatuses = append(s.scan.Policy.IgnoreStatuses, st)
	}
	s.scan.Policy.IgnoreUnfixed = o.ignoreUnfixed
	for _, src := range o.imageSources {
		if !slices.Contains(runtime.DefaultSources, src) {
			return s, fmt.Errorf("unknown --image-src %q (choose from %s)", src, strings.Join(runtime.DefaultSources, ", "))
		}
	}
	if o.db.offline {
		// No network: images come from local engines only.
		o.imageSources = slices.DeleteFunc(slices.Clone(o.imageSources), func(src string) bool { return src == runtime.SourceRemote })
		if len(o.imageSources) == 0 && o.input == "" {
			return s, errors.New("--offline-scan leaves no image source: use a local engine in --image-src, or --input")
		}
	}
	for _, t := range o.pkgTypes {
		if t != scan.PkgTypeOS && t != scan.PkgTypeLibrary {
			return s, fmt.Errorf("unknown --pkg-types %q (choose os, library)", t)
		}
	}
	s.scan.PkgTypes = o.pkgTypes
	if err := validSBOMSources(o.sbomSources); err != nil {
		return s, err
	}
	s.sbomOCI = slices.Contains(o.sbomSources, sbomSourceOCI)
	if s.sbomOCI && s.remote != nil {
		return s, errors.New("--sbom-sources oci matches the SBOM here, with the local DB: it cannot be combined with --server")
	}
	for _, rt := range o.runtimes {
		switch {
		case rt == "all":
			s.runtimes = slices.Clone(runtime.Runtimes)
		case slices.Contains(runtime.Runtimes, rt):
			if !slices.Contains(s.runtimes, rt) {
				s.runtimes = append(s.runtimes, rt)
			}
		default:
			return s, fmt.Errorf("unknown --runtime %q (choose from %s, or all)", rt, strings.Join(runtime.Runtimes, ", "))
		}
	}
	if len(s.runtimes) > 0 && o.input != "" {
		return s, errors.New("--runtime and --input do not go together: --runtime scans what engines hold")
	}
	if o.distro != "" {
		distro, err := scan.ParseDistro(o.distro)
		if err != nil {
			return s, fmt.Errorf("--distro: %w", err)
		}
		s.scan.Distro = distro
	}
	if !slices.Contains(scan.DetectionPriorities, o.detectionPriority) {
		return s, fmt.Errorf("unknown --detection-priority %q (choose %s)", o.detectionPriority, strings.Join(scan.DetectionPriorities, " or "))
	}
	s.scan.DetectionPriority = o.detectionPriority
	return s, nil
}

// reportOptions are the report writer's options for this scan.
func (o *imageOptions) reportOptions(settings imageSettings, tableModes []string, terminal bool) report.Options {
	return report.Options{
		Scanners:       settings.scan.Scanners,
		TableModes:     tableModes,
		Format:         o.format,
		Color:          terminal && os.Getenv("NO_COLOR") == "",
		PackagesOnly:   len(settings.scan.Scanners) == 0,
		Template:       o.template,
		DependencyTree: o.dependencyTree,
		ShowSuppressed: o.showSuppressed,
		ToolVersion:    Version,
	}
}

// isTerminal tells whether w writes to a terminal. As a Docker CLI plugin,
// the command writes to the CLI's stream (a *streams.Out), which knows.
func isTerminal(w io.Writer) bool {
	switch w := w.(type) {
	case interface{ IsTerminal() bool }:
		return w.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(w.Fd()))
	}
	return false
}
