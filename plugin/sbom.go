package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/iox"
	"github.com/docker-scan/docker-scan/engine/policy"
	"github.com/docker-scan/docker-scan/engine/report"
	"github.com/docker-scan/docker-scan/engine/sbom"
	"github.com/docker-scan/docker-scan/engine/scan"
	"github.com/docker-scan/docker-scan/engine/types"
	"github.com/docker-scan/docker-scan/runtime"
)

// sbomSourceOCI is the --sbom-sources value that looks for an SBOM
// attestation next to the image (BuildKit's, in its index).
const sbomSourceOCI = "oci"

// imageOnlyFlags are the image-scan flags that say how to find and read
// an image: the sbom command has no image.
var imageOnlyFlags = []string{"input", "max-input-size", "platform", "image-src", "docker-host", "containerd-address",
	"containerd-namespace", "podman-host", "runtime", "skip-files", "skip-dirs", "secret-config", "cache-backend",
	"cache-ttl", "sbom-sources", "detection-priority"}

func newSBOMCommand(g *globalOptions, hooks Hooks) *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "sbom [OPTIONS] FILE",
		Short: "Scan a software bill of materials (CycloneDX or SPDX)",
		Long: `Scan the packages an SBOM lists for known vulnerabilities, as an image
scan would find them.

FILE is a CycloneDX document (JSON or XML), an SPDX 2.x document (JSON or
tag-value), or an in-toto statement carrying one (a BuildKit SBOM
attestation, or a cosign attestation in its DSSE envelope); - reads
standard input. SBOMs written by docker scan and Trivy carry every fact a
scan needs; others (Syft's) are read from their package URLs: the OS from
the operating-system component or the distro qualifier, the source package
from the upstream qualifier.

The report names FILE and has the SBOM's format as its artifact type;
every --format, filter and --exit-code works as for "image".`,
		Example: `  docker scan sbom app.cdx.json
  docker scan image --format cyclonedx --output app.cdx.json app:1.0 && docker scan sbom app.cdx.json
  docker scan sbom --format json --severity HIGH,CRITICAL --exit-code 1 sbom.spdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := scanSBOMFile(cmd, g, o, args[0])
			if err != nil {
				return err
			}
			if code != 0 {
				hooks.exit(code)
			}
			return nil
		},
	}
	o.register(cmd)
	o.scanners = []string{scan.ScannerVuln}
	f := cmd.Flags()
	f.Lookup("scanners").DefValue = "[" + scan.ScannerVuln + "]"
	f.Lookup("scanners").Usage = "what to look for: vuln (known vulnerabilities of the packages), license (the licences the SBOM gives them, classified), or none to list the packages only"
	for _, name := range imageOnlyFlags {
		_ = f.MarkHidden(name)
	}
	return cmd
}

func scanSBOMFile(cmd *cobra.Command, g *globalOptions, o *imageOptions, file string) (int, error) {
	if slices.Contains(o.scanners, scan.ScannerSecret) {
		return 0, usageError(cmd, errors.New("an SBOM lists packages, not files: --scanners secret does not apply (choose vuln or none)"))
	}
	settings, err := o.prepare(cmd, g)
	if err != nil {
		return 0, err
	}
	if settings.remote != nil {
		return 0, usageError(cmd, errors.New("--server scans images; an SBOM is matched here, with the local DB: leave --server out"))
	}
	tableModes, err := tableModes(cmd)
	if err != nil {
		return 0, usageError(cmd, err)
	}
	doc, err := readSBOMFile(cmd, file)
	if err != nil {
		return 0, err
	}
	out, err := iox.OpenOutput(o.output, cmd.OutOrStdout())
	if err != nil {
		return 0, err
	}
	defer out.Close()
	return withScanContext(cmd, g, func(ctx context.Context) (int, error) {
		openDB, closeDB := o.dbOpener(ctx, g, cmd, settings)
		defer closeDB()
		if settings.scan.DB, err = openDB(); err != nil {
			return 0, err
		}
		rep, err := scan.SBOM(ctx, &types.Image{Name: file}, doc, settings.scan)
		if err != nil {
			return 0, err
		}
		// --vex oci: the registry digest the SBOM records names the image.
		if err := o.applyOCIVEX(ctx, rep, true); err != nil {
			return 0, err
		}
		err = out.Commit(ctx, func(w io.Writer) error {
			return report.Write(w, rep, o.reportOptions(settings, tableModes, o.output == "" && isTerminal(cmd.OutOrStdout())))
		})
		if err != nil {
			return 0, err
		}
		return policy.ExitCode(rep, policy.ExitOptions{ExitCode: o.exitCode, ExitOnEOL: o.exitOnEOL}), nil
	})
}

// readSBOMFile decodes FILE, or standard input for "-".
func readSBOMFile(cmd *cobra.Command, file string) (*sbom.Document, error) {
	var r io.Reader = cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("sbom: %w", err)
		}
		defer f.Close()
		r = f
	}
	doc, err := sbom.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	slog.Info("SBOM read", "file", file, "format", doc.Format, "os", strings.TrimSpace(doc.OS.Family+" "+doc.OS.Name), "package sets", len(doc.PackageDBs))
	return doc, nil
}

// validSBOMSources checks --sbom-sources.
func validSBOMSources(sources []string) error {
	for _, s := range sources {
		if s != sbomSourceOCI {
			return fmt.Errorf("unknown --sbom-sources %q (choose %s)", s, sbomSourceOCI)
		}
	}
	return nil
}

// scanAttestation scans the SBOM attestation the image carries instead of
// its layers (--sbom-sources oci); ok is false, with a log line, when it
// has none, and the layers are scanned.
func scanAttestation(ctx context.Context, ref string, settings imageSettings, ropts runtime.Options, openDB func() (*db.DB, error)) (rep *types.Report, ok bool, err error) {
	att, err := runtime.FindSBOMAttestation(ctx, ref, ropts)
	if err != nil {
		return nil, false, fmt.Errorf("--sbom-sources oci: %w", err)
	}
	if att == nil {
		slog.Info("no SBOM attestation found for the image; scanning its layers")
		return nil, false, nil
	}
	doc, err := sbom.Decode(bytes.NewReader(att.Statement))
	if err != nil {
		return nil, false, fmt.Errorf("SBOM attestation %s: %w", att.Digest, err)
	}
	slog.Info("scanning the image's SBOM attestation instead of its layers", "attestation", att.Digest, "predicate", att.PredicateType, "format", doc.Format)
	img, err := runtime.Open(ctx, ref, ropts)
	if err != nil {
		return nil, false, err
	}
	defer img.Close()
	if ref != "" && ropts.Input != "" {
		img.Name = ref
	}
	// The report describes the image (its layers' diffIDs too); the
	// layers themselves are not read.
	if settings.scan.DB, err = openDB(); err != nil {
		return nil, false, err
	}
	if rep, err = scan.SBOM(ctx, img, doc, settings.scan); err != nil {
		return nil, false, err
	}
	return rep, true, nil
}
