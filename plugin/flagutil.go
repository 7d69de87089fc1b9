package plugin

import (
	"context"
	"time"

	"github.com/spf13/pflag"
)

// withTimeout bounds ctx by --timeout, where 0 means no limit.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// setRecorder is a flag value that notes when it is set: on the command
// line, from the environment or from a config file alike.
type setRecorder struct {
	pflag.Value
	set *bool
}

func (r setRecorder) Set(v string) error {
	*r.set = true
	return r.Value.Set(v)
}

// recordSet makes f note in *set whether it was given.
func recordSet(f *pflag.Flag, set *bool) {
	f.Value = setRecorder{Value: f.Value, set: set}
}
