// Command docker-scan is the docker scan CLI plugin. Started by the Docker
// CLI (docker scan ...) it runs inside the plugin framework, with the CLI's
// context and settings; started directly (docker-scan ...) it is a plain
// command-line tool, for CI jobs and sidecars without a Docker CLI.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli-plugins/metadata"
	cliplugin "github.com/docker/cli/cli-plugins/plugin"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/debug"
	"github.com/docker/cli/cli/flags"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"

	"github.com/docker-scan/docker-scan/plugin"
	"github.com/docker-scan/docker-scan/runtime"
)

func main() {
	if cliplugin.RunningStandalone() {
		root := plugin.NewRootCommand("docker-scan", plugin.Hooks{DockerClient: standaloneDockerClient})
		if err := root.Execute(); err != nil {
			exit(os.Stderr, "docker-scan", err)
		}
		return
	}
	// cliplugin.Run, with our exit statuses: it exits 1 for every error.
	otel.SetErrorHandler(debug.OTELErrorHandler)
	dockerCli, err := command.NewDockerCli()
	if err != nil {
		exit(os.Stderr, "docker scan", err)
	}
	root := plugin.NewRootCommand("scan", plugin.Hooks{
		// PersistentPreRunE is set by the plugin framework when it runs,
		// after this command tree is built: look it up then.
		PreRun:       func(cmd *cobra.Command, args []string) error { return cliplugin.PersistentPreRunE(cmd, args) },
		DockerClient: func() (runtime.DockerClient, error) { return dockerCli.Client(), nil },
	})
	err = cliplugin.RunPlugin(dockerCli, root, metadata.Metadata{
		SchemaVersion:    "0.1.0",
		Vendor:           "docker-scan",
		Version:          plugin.Version,
		ShortDescription: "Scan images for vulnerabilities, secrets and misconfigurations",
		URL:              "https://github.com/docker-scan/docker-scan",
	})
	if err != nil {
		exit(dockerCli.Err(), "docker scan", err)
	}
}

// exit prints err as one line and exits with its status: 2 for a usage
// error, the status of a Docker CLI status error, else 1. The Docker CLI
// passes a plugin's exit status on as its own.
func exit(w io.Writer, prog string, err error) {
	code := plugin.ExitCode(err)
	if st, ok := errors.AsType[cli.StatusError](err); ok && st.StatusCode != 0 {
		code = st.StatusCode
	}
	fmt.Fprintln(w, prog+": "+strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(code)
}

// standaloneDockerClient resolves the Docker endpoint as the Docker CLI
// does (DOCKER_HOST, then DOCKER_CONTEXT, then the current context of the
// CLI's config, with its TLS settings), so that docker-scan run on its own
// asks the same engine `docker` would.
func standaloneDockerClient() (runtime.DockerClient, error) {
	dockerCli, err := command.NewDockerCli()
	if err != nil {
		return nil, err
	}
	if err := dockerCli.Initialize(flags.NewClientOptions()); err != nil {
		return nil, err
	}
	return dockerCli.Client(), nil
}
