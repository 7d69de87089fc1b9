package plugin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/engine/report"
)

// registerTableMode adds --table-mode, as Trivy has it: the parts of a
// table report to print.
func registerTableMode(f *pflag.FlagSet) {
	f.StringSlice("table-mode", report.TableModes, "parts of a table report: summary (one row per target, with its counts), detailed (each target with findings)")
}

// tableModes is --table-mode, checked.
func tableModes(cmd *cobra.Command) ([]string, error) {
	modes, err := cmd.Flags().GetStringSlice("table-mode")
	if err != nil {
		return nil, nil // a command without the flag prints both
	}
	if len(modes) == 0 {
		return nil, fmt.Errorf("--table-mode is empty (choose from %s)", strings.Join(report.TableModes, ", "))
	}
	for _, m := range modes {
		if !slices.Contains(report.TableModes, m) {
			return nil, fmt.Errorf("unknown --table-mode %q (choose from %s)", m, strings.Join(report.TableModes, ", "))
		}
	}
	return modes, nil
}
