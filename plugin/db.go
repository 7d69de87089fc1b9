package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-scan/docker-scan/engine/db"
)

// dbOptions say where the vulnerability DB comes from.
type dbOptions struct {
	repositories []string
	skipUpdate   bool
	offline      bool
	insecure     bool
}

func (o *dbOptions) register(cmd *cobra.Command) { o.registerFlags(cmd.Flags()) }

func (o *dbOptions) registerFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&o.repositories, "db-repository", db.DefaultRepositories, "OCI repositories of the vulnerability DB, tried in order (repeatable; for mirrors)")
	f.BoolVar(&o.skipUpdate, "skip-db-update", false, "use the DB in the cache dir as it is; never download")
	f.BoolVar(&o.offline, "offline-scan", false, "make no network requests for the scan: implies --skip-db-update")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain-HTTP and unverified-TLS registries (images and the DB)")
}

func (o *dbOptions) updater(g *globalOptions, progress io.Writer) *db.Updater {
	u := &db.Updater{Dir: filepath.Join(g.cacheDir, "db"), Repositories: o.repositories, Insecure: o.insecure}
	if !g.quiet {
		u.Progress = progress
	}
	return u
}

// open makes sure the DB is there (downloading it when due) and opens it.
func (o *dbOptions) open(ctx context.Context, g *globalOptions, progress io.Writer) (*db.DB, error) {
	u := o.updater(g, progress)
	if err := u.Ensure(ctx, o.skipUpdate || o.offline); err != nil {
		return nil, err
	}
	return db.Open(u.DBPath())
}

func newDBCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the vulnerability DB",
		Long: `Manage the vulnerability DB (the trivy-db v2 format, an OCI artifact).

It lives in <cache-dir>/db and is downloaded by scans when missing or when
its publisher's next update is due. In closed networks, mirror the artifact
into your own registry and use --db-repository, or copy a db.tar.gz over
and use "db import".`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newDBUpdateCommand(g), newDBStatusCommand(g), newDBImportCommand(g))
	return cmd
}

func newDBUpdateCommand(g *globalOptions) *cobra.Command {
	o := &dbOptions{}
	force := false
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the vulnerability DB if a newer one is due",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.skipUpdate || o.offline {
				return usageError(cmd, errors.New("db update downloads the DB: it cannot be combined with --skip-db-update/--offline-scan"))
			}
			ctx, cancel := withTimeout(cmd.Context(), g.timeout)
			defer cancel()
			return o.updater(g, cmd.ErrOrStderr()).Update(ctx, force)
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "download even when the DB is not due")
	return cmd
}

func newDBStatusCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show which vulnerability DB is installed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := filepath.Join(g.cacheDir, "db")
			s, err := db.ReadStatus(dir)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !s.Present {
				fmt.Fprintf(w, "No vulnerability DB in %s; `docker scan db update` downloads one.\n", dir)
				return nil
			}
			fmt.Fprintf(w, "Path:          %s\n", filepath.Join(dir, db.DBFile))
			fmt.Fprintf(w, "Version:       %d\n", s.Metadata.Version)
			fmt.Fprintf(w, "UpdatedAt:     %s\n", timeOrNone(s.Metadata.UpdatedAt))
			fmt.Fprintf(w, "NextUpdate:    %s\n", timeOrNone(s.Metadata.NextUpdate))
			fmt.Fprintf(w, "DownloadedAt:  %s\n", timeOrNone(s.Metadata.DownloadedAt))
			fmt.Fprintf(w, "Size:          %.1f MiB\n", float64(s.Size)/(1<<20))
			if s.Damage != "" {
				fmt.Fprintf(w, "Damaged:       %s; run `docker scan db update --force` (or `docker scan db import FILE`)\n", s.Damage)
			}
			return nil
		},
	}
}

func timeOrNone(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func newDBImportCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Install a vulnerability DB from a file",
		Long: `Install a vulnerability DB from a file: a db.tar.gz as published in the
DB artifact, or a trivy.db with its metadata.json beside it. The current DB
is replaced only when the new one is complete and readable.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := withTimeout(cmd.Context(), g.timeout)
			defer cancel()
			u := &db.Updater{Dir: filepath.Join(g.cacheDir, "db")}
			return u.Import(ctx, args[0])
		},
	}
}
