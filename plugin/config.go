package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/compose"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/misconf"
	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/types"
)

// configFormats are the --format values of docker scan config: the
// formats that show misconfigurations (an SBOM has no place for them).
var configFormats = []string{"table", "json", "sarif", "template"}

// configOptions are the flags of docker scan config.
type configOptions struct {
	format     string
	template   string
	output     string
	severities []string
	ignoreFile string
	exitCode   int
	skip       misconf.Skip
	misconf    misconfOptions
}

func newConfigCommand(g *globalOptions, hooks Hooks) *cobra.Command {
	o := &configOptions{}
	cmd := &cobra.Command{
		Use:   "config [OPTIONS] PATH",
		Short: "Check Dockerfiles and compose files for misconfigurations",
		Long: `Check Dockerfiles and compose files for risky settings before anything is
built, as "trivy config" does.

PATH is a build context (a directory) or one file. In a directory every
Dockerfile is checked: Dockerfile and Containerfile (also with an
extension: Dockerfile.prod), and *.Dockerfile, *.Containerfile; and every
compose file (compose.yaml, compose.yml, docker-compose.yaml,
docker-compose.yml) with the compose checks, together with the Dockerfiles
its services build from. Version control and dependency directories (.git,
node_modules, vendor...) and symbolic links are skipped.

Dockerfile checks carry Trivy's IDs (DS-0002, also AVD-DS-0002 and DS002),
so .trivyignore entries written for Trivy apply. A file that cannot be
parsed is reported in one line and the others are still checked; with
--exit-code it fails the run like a finding does.`,
		Example: `  docker scan config .
  docker scan config --severity HIGH,CRITICAL --exit-code 1 ./app
  docker scan config --format json --output config.json Dockerfile
  docker scan config --format sarif -o config.sarif .
  docker scan config --config-check ./policies --check-namespaces user .`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := runConfig(cmd, g, o, args[0])
			if err != nil {
				return err
			}
			if code != 0 {
				hooks.exit(code)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "table", "report format: "+strings.Join(configFormats, ", "))
	registerTableMode(f)
	f.StringVarP(&o.template, "template", "t", "", "Go template for --format template: the template text, or @FILE")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output (- is standard output)")
	f.StringSliceVarP(&o.severities, "severity", "s", types.SeverityNames, "severities to report (comma list)")
	f.StringVar(&o.ignoreFile, "ignorefile", policy.DefaultIgnoreFile, "file of check IDs to ignore (plain, or YAML when it ends in .yaml)")
	f.StringSliceVar(&o.skip.Files, "skip-files", nil, "files not to check (globs relative to PATH, ** allowed; repeatable)")
	f.StringSliceVar(&o.skip.Dirs, "skip-dirs", nil, "directories not to enter (globs relative to PATH, ** allowed; repeatable)")
	o.misconf.registerFlags(f)
	f.IntVar(&o.exitCode, "exit-code", 0, "exit with this code when a misconfiguration remains after filtering, or a file cannot be checked; 0 exits 0 whatever is found")
	return cmd
}

// runConfig checks the files at root and writes the report; it returns
// the exit code the policy calls for.
func runConfig(cmd *cobra.Command, g *globalOptions, o *configOptions, root string) (int, error) {
	pol, err := o.policy(cmd)
	if err != nil {
		return 0, err
	}
	modes, err := tableModes(cmd)
	if err != nil {
		return 0, usageError(cmd, err)
	}
	// Custom checks compile before any file is read.
	checks, err := o.misconf.checks()
	if err != nil {
		return 0, err
	}
	if checks == nil {
		checks = misconf.DockerfileChecks
	}
	out, err := iox.OpenOutput(o.output, cmd.OutOrStdout())
	if err != nil {
		return 0, err
	}
	defer out.Close()
	return withScanContext(cmd, g, func(ctx context.Context) (int, error) {
		rep, err := checkConfigPath(ctx, root, o.skip, checks)
		if err != nil {
			return 0, err
		}
		for _, issue := range rep.AnalysisIssues {
			slog.Warn(fmt.Sprintf("cannot check %s: %s", issue.FilePath, issue.Reason))
		}
		failed := filterConfigResults(rep, pol)
		err = out.Commit(ctx, func(w io.Writer) error {
			if len(rep.Results) == 0 && o.format == "table" {
				_, err := fmt.Fprintf(w, "%s: no Dockerfile or compose file found\n", root)
				return err
			}
			return report.Write(w, rep, report.Options{
				Format:      o.format,
				Template:    o.template,
				TableModes:  modes,
				Scanners:    []string{},
				Color:       o.output == "" && isTerminal(cmd.OutOrStdout()) && os.Getenv("NO_COLOR") == "",
				ToolVersion: Version,
			})
		})
		if err != nil {
			return 0, err
		}
		if o.exitCode != 0 && (failed || len(rep.AnalysisIssues) > 0) {
			return o.exitCode, nil
		}
		return 0, nil
	})
}

// policy checks the report flags and loads the ignore file.
func (o *configOptions) policy(cmd *cobra.Command) (policy.Options, error) {
	var pol policy.Options
	if !slices.Contains(configFormats, o.format) {
		return pol, usageError(cmd, fmt.Errorf("unknown --format %q (choose one of %s)", o.format, strings.Join(configFormats, ", ")))
	}
	switch {
	case o.format == "template" && o.template == "":
		return pol, usageError(cmd, errors.New("--format template needs --template TEXT or --template @FILE"))
	case o.format != "template" && o.template != "":
		return pol, usageError(cmd, fmt.Errorf("--template is read only with --format template, not --format %s", o.format))
	case o.format == "template":
		if err := report.ValidateTemplate(o.template); err != nil {
			return pol, usageError(cmd, fmt.Errorf("--template: %w", err))
		}
	}
	for _, name := range o.severities {
		sev, err := types.ParseSeverity(name)
		if err != nil {
			return pol, usageError(cmd, fmt.Errorf("--severity: %w", err))
		}
		pol.Severities = append(pol.Severities, sev)
	}
	if err := o.skip.Validate(); err != nil {
		return pol, usageError(cmd, fmt.Errorf("--skip-files/--skip-dirs: %w", err))
	}
	ignore, err := policy.LoadIgnoreFile(o.ignoreFile, cmd.Flags().Changed("ignorefile"))
	if err != nil {
		return pol, err
	}
	pol.Ignore = ignore
	return pol, nil
}

// checkConfigPath finds the config files at root and checks each, into a
// report of the filesystem artifact root, as Trivy's for "trivy config".
func checkConfigPath(ctx context.Context, root string, skip misconf.Skip, checks []misconf.Check) (*types.Report, error) {
	files, issues, err := misconf.FindConfigFiles(root, skip)
	if err != nil {
		return nil, err
	}
	rep := &types.Report{SchemaVersion: types.SchemaVersion, CreatedAt: time.Now().UTC(), ArtifactName: root, ArtifactType: types.ArtifactTypeFilesystem, AnalysisIssues: issues}
	rootDir := root
	if len(files) == 1 && files[0].Path == root {
		rootDir = filepath.Dir(root)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if f.Type == misconf.TypeDockerfile {
			seen[absPath(f.Path)] = true
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch f.Type {
		case misconf.TypeDockerfile:
			res, err := misconf.CheckDockerfileFile(f.Path, f.Target, checks)
			if err != nil {
				rep.AnalysisIssues = append(rep.AnalysisIssues, types.AnalysisIssue{Analyzer: misconf.TypeDockerfile, FilePath: f.Target, Reason: issueReason(err, f.Target)})
				continue
			}
			rep.Results = append(rep.Results, res)
		case misconf.TypeCompose:
			results, more := checkComposeFile(ctx, f, rootDir, seen, checks)
			rep.Results = append(rep.Results, results...)
			rep.AnalysisIssues = append(rep.AnalysisIssues, more...)
		}
	}
	// By file, as Trivy lists them; a compose file's Dockerfiles among
	// the others.
	slices.SortStableFunc(rep.Results, func(a, b types.Result) int { return strings.Compare(a.Target, b.Target) })
	return rep, nil
}

// checkComposeFile loads one compose file as its own project (every
// profile enabled: a check looks at every service) and checks it, and the
// Dockerfiles its services build from that the walk did not find (seen).
func checkComposeFile(ctx context.Context, f misconf.ConfigFile, rootDir string, seen map[string]bool, checks []misconf.Check) ([]types.Result, []types.AnalysisIssue) {
	lo := compose.LoadOptions{Files: []string{f.Path}, WorkingDir: filepath.Dir(f.Path), Profiles: []string{"*"}}
	p, err := compose.Load(ctx, lo)
	if err != nil {
		// A required variable left unset (${TOKEN:?}) stops compose, not
		// a check of what is written: try again with ${VAR} as written.
		lo.NoInterpolation = true
		var again error
		if p, again = compose.Load(ctx, lo); again != nil {
			return nil, []types.AnalysisIssue{{Analyzer: misconf.TypeCompose, FilePath: f.Target, Reason: issueReason(err, f.Target)}}
		}
		slog.Debug("compose file checked without interpolation", "file", f.Target, "error", err)
	}
	services := p.ServiceNames()
	// Targets are named from the scanned root, as every other file is.
	rebase := func(target string) string {
		if filepath.IsAbs(target) {
			if rel, err := filepath.Rel(absPath(rootDir), target); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
			return target
		}
		return filepath.ToSlash(filepath.Join(filepath.Dir(f.Target), target))
	}
	results := compose.CheckProject(p, services, nil)
	for i := range results {
		results[i].Target = rebase(results[i].Target)
	}
	if !slices.ContainsFunc(results, func(r types.Result) bool { return r.Target == f.Target }) {
		// A compose file that passed every check is listed too.
		results = append(results, types.Result{Target: f.Target, Class: types.ClassConfig, Type: misconf.TypeCompose, MisconfSummary: &types.MisconfSummary{Successes: len(compose.Checks)}})
	}
	var issues []types.AnalysisIssue
	for _, d := range p.BuildDockerfiles(services) {
		if d.Path != "" && seen[d.Path] {
			continue
		}
		if d.Path != "" {
			seen[d.Path] = true
		}
		res, err := checkBuildDockerfile(d, rebase(d.Target), checks)
		if err != nil {
			issues = append(issues, types.AnalysisIssue{Analyzer: misconf.TypeDockerfile, FilePath: rebase(d.Target), Reason: issueReason(err, rebase(d.Target))})
			continue
		}
		results = append(results, res)
	}
	return results, issues
}

// checkBuildDockerfile checks a Dockerfile a compose service builds from.
func checkBuildDockerfile(d compose.BuildDockerfile, target string, checks []misconf.Check) (types.Result, error) {
	if d.Path != "" {
		return misconf.CheckDockerfileFile(d.Path, target, checks)
	}
	df, err := misconf.ParseDockerfile(target, []byte(d.Inline))
	if err != nil {
		return types.Result{}, err
	}
	return misconf.Run(df, checks), nil
}

// filterConfigResults applies the severities and the ignore file to
// every result's findings, keeping the results (a file that passed is
// listed with its count of checks, as in Trivy); it reports whether a
// finding is left.
func filterConfigResults(rep *types.Report, pol policy.Options) bool {
	left := false
	for i := range rep.Results {
		res := &rep.Results[i]
		if len(res.Misconfigurations) == 0 {
			continue
		}
		// The policy drops a result left with no finding; here it stays,
		// with no failure left in its summary.
		kept := policy.FilterMisconfigurations([]types.Result{*res}, pol)
		if len(kept) == 1 {
			*res = kept[0]
		} else {
			res.Misconfigurations = nil
			if res.MisconfSummary != nil {
				s := *res.MisconfSummary
				s.Failures = 0
				res.MisconfSummary = &s
			}
		}
		left = left || len(res.Misconfigurations) > 0
	}
	return left
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return filepath.Clean(abs)
	}
	return filepath.Clean(p)
}

// issueReason is why a file could not be checked, on one line, without
// the file's name (the issue names it).
func issueReason(err error, target string) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	for _, prefix := range []string{"dockerfile " + target + ": ", target + ": "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}
