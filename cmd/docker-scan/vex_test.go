package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/docker-scan/docker-scan/engine/types"
)

// vexRegistry starts an in-process registry with the OCI referrers API
// and pushes the demo image to it as team/demo:1.0; it returns the
// reference and the image's digest.
func vexRegistry(t *testing.T) (string, name.Digest) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	img, err := tarball.ImageFromPath(demoImage(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.TrimPrefix(srv.URL, "http://") + "/team/demo:1.0"
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref, tag.Context().Digest(d.String())
}

// vexDocument writes engine/vex's test document name, made about the
// image with digest (the documents name sha256:aaaa...).
func vexDocument(t *testing.T, name string, digest name.Digest) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../engine/vex/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(digest.DigestStr(), "sha256:")
	body := strings.ReplaceAll(string(data), strings.Repeat("a", 64), hex)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// vulnSet lists a report's findings as "pkg/ID" and its suppressed ones
// as "pkg/ID status source".
func vulnSet(t *testing.T, out string) (left, suppressed []string) {
	t.Helper()
	var rep types.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			left = append(left, v.PkgName+"/"+v.VulnerabilityID)
		}
		// Trivy's key, ExperimentalModifiedFindings.
		for _, m := range res.ModifiedFindings {
			suppressed = append(suppressed, m.Finding.PkgName+"/"+m.Finding.VulnerabilityID+" "+m.Status+" "+filepath.Base(m.Source))
		}
	}
	return left, suppressed
}

// TestVEXThroughCLI: an OpenVEX, a CycloneDX VEX and a CSAF VEX document
// each suppress exactly the findings they name in the demo image pulled
// from a registry (the image with a package as subcomponent, a package
// itself, a package by an alias), in the JSON, the table and SARIF; the
// exit code counts what is left; --vex oci finds the image's OpenVEX
// referrer.
func TestVEXThroughCLI(t *testing.T) {
	cache := demoCache(t)
	ref, digest := vexRegistry(t)
	c := cliRun{}
	scan := func(args ...string) scanResult {
		t.Helper()
		return c.run(t, append([]string{"image", ref, "--image-src", "remote", "--cache-dir", cache, "--skip-db-update", "--quiet", "--scanners", "vuln"}, args...)...)
	}
	base := scan("--format", "json")
	if base.exit != 0 {
		t.Fatalf("scan: exit %d\n%s", base.exit, base.stderr)
	}
	all, _ := vulnSet(t, base.stdout)
	if len(all) < 30 {
		t.Fatalf("the demo image has %d findings: the fixture DB is not used", len(all))
	}

	for _, tc := range []struct {
		doc        string
		suppressed []string
	}{
		{"openvex.json", []string{
			"libssl1.1/CVE-2022-0778 not_affected openvex.json",
			"minimist/CVE-2021-44906 fixed openvex.json",
		}},
		{"cyclonedx-vex.json", []string{
			"busybox/CVE-2022-28391 not_affected cyclonedx-vex.json",
			"zlib/CVE-2018-25032 fixed cyclonedx-vex.json",
			"minimist/CVE-2020-7598 not_affected cyclonedx-vex.json",
		}},
		{"csaf-vex.json", []string{
			"busybox/CVE-2021-42374 fixed csaf-vex.json",
			"libcrypto1.1/CVE-2022-0778 not_affected csaf-vex.json",
		}},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			doc := vexDocument(t, tc.doc, digest)
			r := scan("--format", "json", "--vex", doc, "--show-suppressed")
			if r.exit != 0 {
				t.Fatalf("exit %d\n%s", r.exit, r.stderr)
			}
			left, suppressed := vulnSet(t, r.stdout)
			if !slices.Equal(suppressed, tc.suppressed) {
				t.Errorf("suppressed\n got %q\nwant %q", suppressed, tc.suppressed)
			}
			var gone []string
			for _, s := range tc.suppressed {
				gone = append(gone, strings.Fields(s)[0])
			}
			want := slices.DeleteFunc(slices.Clone(all), func(v string) bool { return slices.Contains(gone, v) })
			if !slices.Equal(left, want) {
				t.Errorf("left %d findings, want %d:\n got %q\nwant %q", len(left), len(want), left, want)
			}

			// The table lists them under "Suppressed Vulnerabilities";
			// findings are left, so --exit-code fails the scan.
			table := scan("--vex", doc, "--show-suppressed", "--exit-code", "1")
			if table.exit != 1 {
				t.Errorf("findings left: exit %d, want 1", table.exit)
			}
			total := 0
			for _, m := range regexp.MustCompile(`Suppressed Vulnerabilities \(Total: (\d+)\)`).FindAllStringSubmatch(table.stdout, -1) {
				n, _ := strconv.Atoi(m[1])
				total += n
			}
			if total != len(tc.suppressed) {
				t.Errorf("the table lists %d suppressed, want %d:\n%s", total, len(tc.suppressed), table.stdout)
			}
			for _, s := range tc.suppressed {
				id := strings.SplitN(strings.Fields(s)[0], "/", 2)[1]
				if !strings.Contains(table.stdout, id) {
					t.Errorf("the table does not list %s", id)
				}
			}
			if tc.doc == "csaf-vex.json" {
				if plain := scan("--vex", doc); strings.Contains(plain.stdout, "Suppressed") {
					t.Errorf("without --show-suppressed the table lists suppressed findings")
				}
			}

			// SARIF carries no suppressed finding.
			sarif := scan("--format", "sarif", "--vex", doc)
			var log struct {
				Runs []struct {
					Results []struct {
						RuleID  string `json:"ruleId"`
						Message struct {
							Text string `json:"text"`
						} `json:"message"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal([]byte(sarif.stdout), &log); err != nil || len(log.Runs) != 1 {
				t.Fatalf("SARIF: %v\n%s", err, sarif.stdout)
			}
			var inSARIF []string
			for _, res := range log.Runs[0].Results {
				pkg, _, _ := strings.Cut(strings.TrimPrefix(res.Message.Text, "Package: "), "\n")
				inSARIF = append(inSARIF, pkg+"/"+res.RuleID)
			}
			for _, g := range gone {
				if slices.Contains(inSARIF, g) {
					t.Errorf("SARIF reports the suppressed %s", g)
				}
			}
			if len(inSARIF) != len(want) {
				t.Errorf("SARIF has %d results, want %d", len(inSARIF), len(want))
			}
		})
	}

	// A document that says the image is affected by none of what was
	// found: nothing is left, and --exit-code 1 exits 0.
	var stmts []string
	seen := map[string]bool{}
	for _, v := range all {
		id := strings.SplitN(v, "/", 2)[1]
		if !seen[id] {
			seen[id] = true
			stmts = append(stmts, `{"vulnerability":{"name":"`+id+`"},"products":[{"@id":"pkg:oci/demo@`+digest.DigestStr()+`"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}`)
		}
	}
	everything := filepath.Join(t.TempDir(), "all.openvex.json")
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://demo.example.com/vex/all","author":"Demo Corp","timestamp":"2024-05-02T09:30:00Z","version":1,"statements":[` + strings.Join(stmts, ",") + `]}`
	if err := os.WriteFile(everything, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := scan("--vex", everything, "--exit-code", "1"); r.exit != 0 {
		t.Errorf("every finding suppressed: exit %d, want 0\n%s", r.exit, r.stderr)
	}
	if r := scan("--exit-code", "1"); r.exit != 1 {
		t.Errorf("without VEX: exit %d, want 1", r.exit)
	}

	// --vex oci: the OpenVEX document attached to the image as a referrer
	// (as `oras attach --artifact-type application/vnd.openvex+json`).
	r := scan("--format", "json", "--vex", "oci", "--show-suppressed")
	if _, suppressed := vulnSet(t, r.stdout); r.exit != 0 || len(suppressed) != 0 {
		t.Fatalf("no referrer yet: exit %d, suppressed %q\n%s", r.exit, suppressed, r.stderr)
	}
	data, err := os.ReadFile(vexDocument(t, "openvex.json", digest))
	if err != nil {
		t.Fatal(err)
	}
	referrer := pushVEXReferrer(t, digest, data)
	r = scan("--format", "json", "--vex", "oci", "--show-suppressed")
	_, suppressed := vulnSet(t, r.stdout)
	source := "OpenVEX attestation in OCI registry: " + referrer.String()
	want := []string{"libssl1.1/CVE-2022-0778 not_affected " + filepath.Base(source), "minimist/CVE-2021-44906 fixed " + filepath.Base(source)}
	if r.exit != 0 || !slices.Equal(suppressed, want) {
		t.Errorf("--vex oci: exit %d, suppressed\n got %q\nwant %q\n%s", r.exit, suppressed, want, r.stderr)
	}

	// A bad document: one line naming it, before any scan.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}`), 0o644)
	if r := scan("--vex", bad); r.exit == 0 || !strings.Contains(oneLine(t, r), bad) {
		t.Errorf("bad VEX: exit %d, %q", r.exit, r.stderr)
	}
}

// pushVEXReferrer attaches an OpenVEX document to the image at subject as
// an OCI 1.1 artifact. Its artifact type is also its config's media type,
// which is what ggcr's registry lists.
func pushVEXReferrer(t *testing.T, subject name.Digest, doc []byte) name.Digest {
	t.Helper()
	const artifactType = "application/vnd.openvex+json"
	layer := static.NewLayer(doc, artifactType)
	cfg := static.NewLayer([]byte("{}"), artifactType)
	for _, l := range []v1.Layer{layer, cfg} {
		if err := remote.WriteLayer(subject.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	desc := func(l v1.Layer) v1.Descriptor {
		d, _ := l.Digest()
		s, _ := l.Size()
		return v1.Descriptor{MediaType: artifactType, Digest: d, Size: s}
	}
	head, err := remote.Head(subject)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ggcrtypes.OCIManifestSchema1,
		"artifactType":  artifactType,
		"config":        desc(cfg),
		"layers":        []v1.Descriptor{desc(layer)},
		"subject":       v1.Descriptor{MediaType: head.MediaType, Digest: head.Digest, Size: head.Size},
		"annotations":   map[string]string{"org.opencontainers.image.created": "2024-05-02T09:30:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	ref := subject.Context().Digest(h.String())
	if err := remote.Put(ref, ociManifest(raw)); err != nil {
		t.Fatal(err)
	}
	return ref
}

type ociManifest []byte

func (m ociManifest) RawManifest() ([]byte, error) { return m, nil }
func (m ociManifest) MediaType() (ggcrtypes.MediaType, error) {
	return ggcrtypes.OCIManifestSchema1, nil
}
