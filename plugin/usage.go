package plugin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses: a scan that fails exits 1 (ExitFailure), a command called
// wrongly exits 2 (ExitUsage), and findings exit with the --exit-code value.
const (
	ExitFailure = 1
	ExitUsage   = 2
)

// UsageError is a mistake in how a command was called: an unknown command
// or flag, a bad flag value, a wrong number of arguments. Nothing was
// scanned, and the user has something to correct.
type UsageError struct {
	Err error
	// Command is the path of the command that was called wrongly
	// ("docker scan image"), for the hint to its --help.
	Command string
}

func (e *UsageError) Error() string {
	if e.Command == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s (see '%s --help')", e.Err, e.Command)
}

func (e *UsageError) Unwrap() error { return e.Err }

// usageError marks err as a usage error of cmd; nil stays nil, and an error
// already marked keeps its command.
func usageError(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	var u *UsageError
	if errors.As(err, &u) {
		return err
	}
	path := ""
	if cmd != nil {
		path = cmd.CommandPath()
	}
	// Errors of several settings (from the environment and a config file)
	// come joined by newlines; the user gets one line.
	return &UsageError{Err: errors.New(strings.ReplaceAll(err.Error(), "\n", "; ")), Command: path}
}

// ExitCode is the exit status for an error a command returned.
func ExitCode(err error) int {
	var u *UsageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	return ExitFailure
}

// markUsageErrors makes the flag and argument errors of every command in
// the tree usage errors.
func markUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// "clena --all": the misspelt command, not the flag it lacks.
		if args := cmd.Flags().Args(); cmd == root && len(args) > 0 {
			if meant, ok := subcommandTypo(root, args[0]); ok {
				err = typoError(args[0], meant)
			}
		}
		return usageError(cmd, err)
	})
	var visit func(*cobra.Command)
	visit = func(cmd *cobra.Command) {
		if !cmd.Runnable() && cmd.HasSubCommands() {
			// "docker scan db updte" names no command: an error, where
			// cobra would print the help and exit 0.
			cmd.Args = unknownSubcommand
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		if args := cmd.Args; args != nil {
			cmd.Args = func(cmd *cobra.Command, a []string) error { return usageError(cmd, args(cmd, a)) }
		}
		for _, sub := range cmd.Commands() {
			visit(sub)
		}
	}
	visit(root)
}

// subcommandTypo tells whether arg, given where an image reference or a
// command may stand, is most likely a misspelt command ("imag") rather than
// an image: it is close to the name of a subcommand of parent and has none
// of the characters ('/', ':', '@', '.') that mark a reference. It returns
// the command meant.
func subcommandTypo(parent *cobra.Command, arg string) (string, bool) {
	if arg == "" || strings.ContainsAny(arg, "/:@.") {
		return "", false
	}
	best, bestDist := "", -1
	for _, c := range parent.Commands() {
		if c.Hidden || !c.IsAvailableCommand() && c.Name() != "help" {
			continue
		}
		name := c.Name()
		d := editDistance(strings.ToLower(arg), name)
		// Short names are close to many words: "go" is not a typo of "db".
		limit := 2
		if len(name) < 4 {
			limit = 1
		}
		if len(arg) >= 3 && strings.HasPrefix(name, strings.ToLower(arg)) {
			d = min(d, 1)
		}
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = name, d
		}
	}
	return best, bestDist >= 0
}

func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if meant, ok := subcommandTypo(cmd, args[0]); ok {
		return typoError(args[0], meant)
	}
	return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
}

func typoError(arg, meant string) error {
	return fmt.Errorf("unknown command %q (did you mean %q?)", arg, meant)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
