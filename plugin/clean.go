package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/engine/analyze"
	"github.com/docker-scan/docker-scan/engine/cache"
)

func newCleanCommand(g *globalOptions) *cobra.Command {
	var scanCache, vulnDB, all bool
	var layerCache cacheOptions
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove cached data",
		Long: `Remove cached layer results (--scan-cache), the vulnerability DB (--vuln-db),
or everything docker scan keeps in the cache dir (--all): those two, the scan
summaries the CLI hooks read, and temp files. Files of a scan or DB update
still running are left to it; files docker scan did not write are left alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !scanCache && !vulnDB && !all {
				return usageError(cmd, errors.New("say what to remove: --scan-cache, --vuln-db or --all"))
			}
			if all {
				// Before the DB dir goes: a live update's files are locked,
				// and only a killed one's are counted as freed.
				removeOrphans(g)
				removeDBOrphans(g)
			}
			if (scanCache || all) && cache.IsRedis(layerCache.backend) {
				if err := layerCache.clearRedis(cmd.Context(), cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			if all || scanCache && !cache.IsRedis(layerCache.backend) {
				if err := cache.NewFS(g.cacheDir, analyze.ResultSchemaVersion, 0).Clear(cmd.Context()); err != nil {
					return fmt.Errorf("clean the scan cache: %w", err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "Removed the scan cache.")
			}
			if vulnDB || all {
				if err := os.RemoveAll(filepath.Join(g.cacheDir, "db")); err != nil {
					return fmt.Errorf("remove the vulnerability DB: %w", err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "Removed the vulnerability DB.")
			}
			if all {
				if err := os.RemoveAll(filepath.Dir(summaryFile(g.cacheDir, ""))); err != nil {
					return fmt.Errorf("remove the scan summaries: %w", err)
				}
				// The orphans are gone: what is left in tmp belongs to a
				// scan still running (or to someone else), and stays.
				if err := os.Remove(g.tempDir()); err != nil && !errors.Is(err, fs.ErrNotExist) {
					fmt.Fprintf(cmd.OutOrStdout(), "Left %s: it holds files of a scan still running, or files docker scan did not write.\n", g.tempDir())
				}
				fmt.Fprintln(cmd.OutOrStdout(), "Removed the scan summaries and temp files.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&scanCache, "scan-cache", false, "remove cached layer results")
	cmd.Flags().BoolVar(&vulnDB, "vuln-db", false, "remove the vulnerability DB")
	cmd.Flags().BoolVar(&all, "all", false, "remove everything in the cache dir that docker scan wrote (DB, layer cache, scan summaries, temp files)")
	// With a redis:// backend, --scan-cache (and --all) remove the layer
	// results in Redis: the keys of docker scan, nothing else there.
	layerCache.registerBackendFlags(cmd.Flags())
	return cmd
}
