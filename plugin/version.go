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
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "docker-scan %s (%s, %s/%s)\n", Version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
			return err
		},
	}
}
