// Package plugin holds the commands and flags of docker scan. It turns
// flags into engine options and prints results; it does no scanning itself.
package plugin

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/runtime"
)

// Version is set at build time (-ldflags "-X .../plugin.Version=...").
var Version = "0.1.0-dev"

// Hooks connect the commands to the way the binary was started.
type Hooks struct {
	// PreRun runs before every command; as a Docker CLI plugin it is the
	// plugin framework's own initialisation, which must not be skipped.
	PreRun func(cmd *cobra.Command, args []string) error
	// Exit ends the process with a policy exit code (--exit-code,
	// --exit-on-eol) after the report is written; nil means os.Exit.
	Exit func(code int)
	// DockerClient is the Docker CLI's own API client when running as a
	// plugin; nil builds one from --docker-host or the environment.
	DockerClient func() (runtime.DockerClient, error)
}

// dockerClient returns how the docker image source gets its client: an
// explicit --docker-host wins, then the Docker CLI's (as a plugin), then
// DOCKER_HOST and the default socket.
func (h Hooks) dockerClient(host string) func() (runtime.DockerClient, error) {
	return func() (runtime.DockerClient, error) {
		if host == "" && h.DockerClient != nil {
			return h.DockerClient()
		}
		return runtime.NewDockerClient(host)
	}
}

func (h Hooks) exit(code int) {
	if h.Exit != nil {
		h.Exit(code)
		return
	}
	os.Exit(code)
}

// NewRootCommand builds the command tree. use is "scan" when run as a Docker
// CLI plugin and "docker-scan" when run directly.
func NewRootCommand(use string, hooks Hooks) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   use + " [OPTIONS] IMAGE",
		Short: "Scan container images for vulnerabilities and other risks",
		Long: `Scan container images for known vulnerabilities in their OS and language
packages, and list what they contain.

Images are read from a registry or, with --input, from a docker save tarball,
an OCI archive or an OCI image layout directory. "docker scan IMAGE" is short
for "docker scan image IMAGE". "docker scan compose" scans every service
image of a compose project and can gate "docker compose up".

Every flag can also be set with an environment variable DOCKER_SCAN_<FLAG>
(upper case, dashes as underscores, e.g. DOCKER_SCAN_TIMEOUT=10m) or in a
config file (docker-scan.yaml in the working directory, else trivy.yaml
there, or --config FILE). Trivy's settings work as they are: its config
keys, old and new (pkg.types or vulnerability.type, scan.scanners), and its
TRIVY_<FLAG> variables (TRIVY_SEVERITY, TRIVY_VULN_TYPE); those docker scan
does not implement are named in a warning and ignored. A flag beats
DOCKER_SCAN_*, which beats TRIVY_*, which beats the file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// docker scan --version is docker scan version.
		Version: Version,
	}
	root.SetVersionTemplate(versionLine() + "\n")
	// "docker scan imag alpine" is a misspelt command, not two images.
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			if meant, ok := subcommandTypo(root, args[0]); ok {
				return typoError(args[0], meant)
			}
		}
		return cobra.MaximumNArgs(1)(cmd, args)
	}
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if hooks.PreRun != nil {
			if err := hooks.PreRun(cmd, args); err != nil {
				return err
			}
		}
		// Settings from the environment and config files are flags too:
		// a bad one is a usage error.
		if err := g.apply(cmd); err != nil {
			return usageError(cmd, err)
		}
		if g.timeout < 0 {
			return usageError(cmd, fmt.Errorf("--timeout %s: want a duration, or 0 for no limit", g.timeout))
		}
		return nil
	}
	g.register(root)

	image := newImageCommand(g, hooks)
	// "docker scan REF" scans REF like "docker scan image REF" does.
	rootImage := &imageOptions{}
	rootImage.register(root)
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && rootImage.input == "" {
			return cmd.Help()
		}
		return runImage(cmd, g, rootImage, args, hooks)
	}
	root.AddCommand(image, newComposeCommand(g, hooks), newConfigCommand(g, hooks), newSBOMCommand(g, hooks), newHooksCommand(), newHookCommand(g), newDBCommand(g), newServerCommand(g), newCleanCommand(g), newVersionCommand())
	markUsageErrors(root)
	return root
}
