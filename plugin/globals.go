package plugin

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Config files read from the working directory when none is named: ours,
// else Trivy's.
const (
	defaultConfigFile = "docker-scan.yaml"
	trivyConfigFile   = "trivy.yaml"
)

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
	f.DurationVar(&g.timeout, "timeout", 5*time.Minute, "give up on a scan after this long (0: no limit)")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but the report and errors")
	f.BoolVar(&g.debug, "debug", false, "print debug logs")
	f.Bool("no-progress", false, "no live progress line on a terminal while an image is exported and analysed (the log lines stay)")
	f.StringVar(&g.cacheDir, "cache-dir", defaultCacheDir(), "directory for the vulnerability DB, the layer cache and temp files")
	f.StringVarP(&g.configFile, "config", "c", "", "config file, ours or Trivy's (default "+defaultConfigFile+" in the working directory, else "+trivyConfigFile+", when present)")
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

// apply fills every flag the user did not set from the environment
// (DOCKER_SCAN_*, then Trivy's TRIVY_*), then from the config file, and
// sets up logging.
func (g *globalOptions) apply(cmd *cobra.Command) error {
	known := treeFlags(cmd.Root())
	file, err := loadConfigFile(cmd, known)
	if err != nil {
		return err
	}
	trivyEnv := loadTrivyEnv(known)
	var errs []error
	var fromFile, dropped []string
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
		from, where := trivyEnv.values[f.Name], ""
		if from.source == "" {
			from, where = file.values[f.Name], file.path+": "
			if from.source == "" {
				return
			}
			fromFile = append(fromFile, from.source)
		}
		// Values written for Trivy are read as Trivy reads them.
		v, left, err := fromTrivy(f.Name, from.value)
		if err == nil {
			err = setFlag(f, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %w", where, from.source, err))
		}
		if len(left) > 0 {
			dropped = append(dropped, fmt.Sprintf("%s%s: %s", where, from.source, strings.Join(left, ", ")))
		}
	})
	if !file.trivy {
		for _, k := range file.unknown {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", file.path, k))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	g.setupLogging(cmd)
	file.report(fromFile)
	if len(trivyEnv.ignored) > 0 {
		slog.Warn("Trivy settings that docker scan does not implement are ignored", "variables", strings.Join(trivyEnv.ignored, ","))
	}
	for _, d := range dropped {
		slog.Warn("scanners that docker scan does not implement are left out: " + d)
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

// treeFlags are the names of the flags of every command.
func treeFlags(root *cobra.Command) map[string]bool {
	known := map[string]bool{}
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
	return known
}

// setting is a value for a flag and where it comes from: a config-file
// key or an environment variable.
type setting struct {
	source string
	value  string
}

// configFile holds the settings of a config file, ours or Trivy's, by the
// flag they set. Nested keys are joined with "." (cache: {dir: X} is
// cache.dir); a key is Trivy's name for a flag (pkg.types, or its old name
// vulnerability.type), else the flag's own name with "-" for "." (cache-dir),
// and lists are joined with ",".
type configFile struct {
	path   string
	values map[string]setting
	// explicit: named by --config, DOCKER_SCAN_CONFIG or TRIVY_CONFIG, not
	// found in the working directory.
	explicit bool
	// trivy: a Trivy config file (trivy.yaml, trivy-ci.yaml): keys
	// unknown to both tools are ignored with a warning, as Trivy ignores
	// them, rather than failing as typos in our own file do.
	trivy bool
	// ignored are Trivy settings docker scan does not implement, set to
	// something other than their default; unknown are keys of neither.
	ignored, unknown []string
	// shadowed is a trivy.yaml that is not read because our file is.
	shadowed string
}

// configFilePath finds the config file: named, else ours in the working
// directory, else Trivy's there. Empty when there is none.
func configFilePath(cmd *cobra.Command) (path string, explicit bool, shadowed string) {
	if f := cmd.Flag("config"); f != nil && f.Value.String() != "" {
		return f.Value.String(), true, ""
	}
	for _, env := range []string{envPrefix + "CONFIG", "TRIVY_CONFIG"} {
		if v := os.Getenv(env); v != "" {
			return v, true, ""
		}
	}
	for _, name := range []string{defaultConfigFile, trivyConfigFile} {
		if _, err := os.Stat(name); err == nil {
			path = name
			break
		}
	}
	if path == defaultConfigFile {
		if _, err := os.Stat(trivyConfigFile); err == nil {
			shadowed = trivyConfigFile
		}
	}
	return path, false, shadowed
}

func loadConfigFile(cmd *cobra.Command, known map[string]bool) (configFile, error) {
	p, explicit, shadowed := configFilePath(cmd)
	if p == "" {
		return configFile{}, nil
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return configFile{}, fmt.Errorf("config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return configFile{}, fmt.Errorf("config file %s: %w", p, err)
	}
	cf := configFile{path: p, values: map[string]setting{}, explicit: explicit, shadowed: shadowed,
		trivy: strings.HasPrefix(strings.ToLower(filepath.Base(p)), "trivy")}
	flat := map[string]string{}
	flatten("", doc, flat)
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		value := flat[key]
		flag := strings.ReplaceAll(key, ".", "-")
		if s, ok := trivyByKey[key]; ok {
			if s.ours == "" || !known[s.ours] {
				if !s.moot && s.asks(value) {
					cf.ignored = append(cf.ignored, key)
				}
				continue
			}
			flag = s.ours
		} else if !known[flag] {
			if !trivySection(key) {
				cf.unknown = append(cf.unknown, key)
			} else if (trivySetting{}).asks(value) {
				cf.ignored = append(cf.ignored, key)
			}
			continue
		}
		if prev, ok := cf.values[flag]; ok && prev.value != value {
			return configFile{}, fmt.Errorf("config file %s: %s and %s both set --%s, to different values", p, prev.source, key, flag)
		}
		cf.values[flag] = setting{source: key, value: value}
	}
	return cf, nil
}

// flatten puts the settings of doc in out by dotted key. A key with no
// value (Trivy's generated config has many) asks for the default.
func flatten(prefix string, doc map[string]any, out map[string]string) {
	for k, v := range doc {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := v.(type) {
		case map[string]any:
			flatten(key, v, out)
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
}

// report logs what the file did: a file nobody named can change a scan
// (skip-files: ["**"] empties it), so its use is announced with the keys
// it set; Trivy settings it asks for that docker scan does not implement
// are named once, as are keys that are neither tool's in a Trivy file.
func (c configFile) report(applied []string) {
	if c.path == "" {
		return
	}
	where := c.path
	if abs, err := filepath.Abs(where); err == nil {
		where = abs
	}
	if !c.explicit {
		slog.Info("applied config file "+where, "keys", strings.Join(slices.Sorted(slices.Values(applied)), ","))
	}
	if c.shadowed != "" {
		slog.Info(c.shadowed + " is not read: " + c.path + " is")
	}
	if len(c.ignored) > 0 {
		slog.Warn("Trivy settings that docker scan does not implement are ignored", "file", where, "keys", strings.Join(c.ignored, ","))
	}
	if c.trivy && len(c.unknown) > 0 {
		slog.Warn("unknown settings are ignored", "file", where, "keys", strings.Join(c.unknown, ","))
	}
}

// trivyEnvironment holds the TRIVY_* variables that are set: by the flag
// they set, and the names of those docker scan does not implement.
type trivyEnvironment struct {
	values  map[string]setting
	ignored []string
}

// loadTrivyEnv reads Trivy's variables. An empty one counts as unset, as
// in Trivy; a setting's current name beats its old one.
func loadTrivyEnv(known map[string]bool) trivyEnvironment {
	env := trivyEnvironment{values: map[string]setting{}}
	for _, name := range trivyEnvNames {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		s := trivyByEnv[name]
		if s.ours == "" || !known[s.ours] {
			if !s.moot && s.asks(v) {
				env.ignored = append(env.ignored, name)
			}
			continue
		}
		if _, seen := env.values[s.ours]; !seen {
			env.values[s.ours] = setting{source: name, value: v}
		}
	}
	return env
}
