package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/runtime"
)

// imageOptions are the flags of an image scan.
type imageOptions struct {
	input       string
	platform    string
	insecure    bool
	format      string
	output      string
	listAllPkgs bool
}

func (o *imageOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.input, "input", "", "read the image from a docker save tarball or OCI archive (plain or gzipped), or an OCI layout directory; select one image with FILE:TAG or DIR@sha256:DIGEST")
	f.StringVar(&o.platform, "platform", "", "platform of a multi-platform image, as OS/ARCH[/VARIANT] (default linux/"+goruntime.GOARCH+")")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain-HTTP and unverified-TLS registries")
	f.StringVarP(&o.format, "format", "f", "table", "report format: "+strings.Join(report.Formats, ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.BoolVar(&o.listAllPkgs, "list-all-pkgs", true, "list every package in JSON reports, not only the vulnerable ones")
}

func newImageCommand(g *globalOptions) *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "image [OPTIONS] IMAGE",
		Short: "Scan a container image",
		Long: `Scan a container image: detect its OS and list its OS packages.

IMAGE is a registry reference (alpine:3.20, registry.example.com/app@sha256:...).
With --input the image is read from a file or directory instead, and IMAGE
may be omitted.`,
		Example: `  docker scan image alpine:3.20
  docker scan image --input image.tar --format json --output report.json
  docker scan image --input ./oci-layout:v1.2 --platform linux/arm64`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImage(cmd, g, o, args)
		},
	}
	o.register(cmd)
	return cmd
}

func runImage(cmd *cobra.Command, g *globalOptions, o *imageOptions, args []string) error {
	if !report.ValidFormat(o.format) {
		return fmt.Errorf("unknown --format %q (choose one of %s)", o.format, strings.Join(report.Formats, ", "))
	}
	ref := ""
	if len(args) > 0 {
		ref = args[0]
	}
	if ref == "" && o.input == "" {
		return errors.New("no image given: name an image reference or use --input FILE|DIR")
	}
	platform := v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}
	if o.platform != "" {
		p, err := v1.ParsePlatform(o.platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return fmt.Errorf("bad --platform %q: want OS/ARCH[/VARIANT], e.g. linux/amd64", o.platform)
		}
		platform = *p
	}

	// Ctrl-C and SIGTERM cancel the scan like a timeout does, so that every
	// deferred cleanup (temp files) runs before the process exits.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	err := func() error {
		img, err := runtime.Open(ctx, ref, runtime.Options{
			Input:       o.input,
			Platform:    platform,
			PlatformSet: o.platform != "",
			Insecure:    o.insecure,
			TempDir:     g.tempDir(),
		})
		if err != nil {
			return err
		}
		defer img.Close()
		if ref != "" && o.input != "" {
			img.Name = ref
		}
		opts := scan.DefaultOptions()
		opts.ListAllPackages = o.listAllPkgs
		rep, err := scan.Image(ctx, img, opts)
		if err != nil {
			return err
		}
		return writeOutput(cmd.OutOrStdout(), o.output, func(w io.Writer) error {
			return report.Write(w, rep, report.Options{Format: o.format})
		})
	}()
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("scan timed out after %s (raise the limit with --timeout)", g.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return errors.New("scan interrupted")
	}
	return err
}

// writeOutput writes to stdout, or to a file that appears whole or not at
// all: the report goes to a temp file beside it, renamed when complete.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}
