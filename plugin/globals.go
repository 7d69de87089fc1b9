package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// defaultConfigFile is read from the working directory when --config is not given.
const defaultConfigFile = "docker-scan.yaml"

// envPrefix starts the environment variable of every flag.
const envPrefix = "DOCKER_SCAN_"

// globalOptions are the flags every command shares.
type globalOptions struct {
	timeout    time.Duration
	quiet      bool
	debug      bool
	cacheDir   string
	configFile string
}

func (g *globalOptions) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.DurationVar(&g.timeout, "timeout", 5*time.Minute, "give up on a scan after this long")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but the report and errors")
	f.BoolVar(&g.debug, "debug", false, "print debug logs")
	f.StringVar(&g.cacheDir, "cache-dir", defaultCacheDir(), "directory for the vulnerability DB, the layer cache and temp files")
	f.StringVar(&g.configFile, "config", "", "config file (default "+defaultConfigFile+" in the working directory, when present)")
}

func defaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "docker-scan")
}

// tempDir is where temp files of a scan go: inside the cache dir, so that
// nothing is written elsewhere.
func (g *globalOptions) tempDir() string { return filepath.Join(g.cacheDir, "tmp") }

// apply fills every flag the user did not set from the environment, then
// from the config file, and sets up logging.
func (g *globalOptions) apply(cmd *cobra.Command) error {
	file, err := loadConfigFile(cmd)
	if err != nil {
		return err
	}
	var errs []error
	var fromFile []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		env := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := setFlag(f, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			return
		}
		if v, ok := file.values[f.Name]; ok {
			if err := setFlag(f, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", file.path, f.Name, err))
			}
			fromFile = append(fromFile, f.Name)
		}
	})
	for _, k := range file.unknownKeys(cmd) {
		errs = append(errs, fmt.Errorf("%s: unknown setting %q", file.path, k))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	g.setupLogging(cmd)
	if file.path != "" && !file.explicit {
		// A file nobody named can change a scan (skip-files: ["**"]
		// empties it): say that it was read, and what it set.
		where := file.path
		if abs, err := filepath.Abs(where); err == nil {
			where = abs
		}
		slog.Info("applied config file "+where, "keys", strings.Join(fromFile, ","))
	}
	return nil
}

// setFlag sets a flag from text; for list flags the text replaces the
// default rather than adding to it.
func setFlag(f *pflag.Flag, v string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(splitList(v))
	}
	return f.Value.Set(v)
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (g *globalOptions) setupLogging(cmd *cobra.Command) {
	level := slog.LevelInfo
	switch {
	case g.debug:
		level = slog.LevelDebug
	case g.quiet:
		level = slog.LevelError
	}
	h := newLogHandler(cmd.ErrOrStderr(), level)
	slog.SetDefault(slog.New(h))
	routeLogrus()
}

// configFile holds the settings of a config file, flattened to flag names:
// nested keys are joined with "-" (cache: {dir: X} is cache-dir) and lists
// with ",".
type configFile struct {
	path   string
	values map[string]string
	// explicit: named by --config or DOCKER_SCAN_CONFIG, not found in the
	// working directory.
	explicit bool
}

func loadConfigFile(cmd *cobra.Command) (configFile, error) {
	p, explicit := defaultConfigFile, false
	if f := cmd.Flags().Lookup("config"); f != nil && f.Value.String() != "" {
		p, explicit = f.Value.String(), true
	} else if v := os.Getenv(envPrefix + "CONFIG"); v != "" {
		p, explicit = v, true
	}
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return configFile{}, nil
	}
	if err != nil {
		return configFile{}, fmt.Errorf("config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return configFile{}, fmt.Errorf("config file %s: %w", p, err)
	}
	cf := configFile{path: p, values: map[string]string{}, explicit: explicit}
	if err := flatten("", doc, cf.values); err != nil {
		return configFile{}, fmt.Errorf("config file %s: %w", p, err)
	}
	return cf, nil
}

func flatten(prefix string, doc map[string]any, out map[string]string) error {
	for k, v := range doc {
		key := k
		if prefix != "" {
			key = prefix + "-" + k
		}
		switch v := v.(type) {
		case map[string]any:
			if err := flatten(key, v, out); err != nil {
				return err
			}
		case []any:
			parts := make([]string, len(v))
			for i, e := range v {
				parts[i] = fmt.Sprint(e)
			}
			out[key] = strings.Join(parts, ",")
		case nil:
		default:
			out[key] = fmt.Sprint(v)
		}
	}
	return nil
}

// unknownKeys are settings that name no flag of any command, most likely
// typos; settings of other commands are fine.
func (c configFile) unknownKeys(cmd *cobra.Command) []string {
	known := map[string]bool{}
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(cmd.Root())
	var unknown []string
	for k := range c.values {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown
}
