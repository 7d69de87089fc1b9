package plugin

import (
	"fmt"
	goruntime "runtime"

	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of docker scan",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return err
		},
	}
}

// versionLine is what both "version" and --version print.
func versionLine() string {
	return fmt.Sprintf("docker-scan %s (%s, %s/%s)", Version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
}
