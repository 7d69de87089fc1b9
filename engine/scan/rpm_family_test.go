package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
	"github.com/docker-scan/docker-scan/engine/types"
)

// buildRPMFamily builds the family image, skipping the test when the rpm
// tools or go-rpmdb's data are missing (CI installs Debian's rpm).
func buildRPMFamily(t *testing.T, name string) (*imagebuild.RPMImage, imagebuild.RPMFamily) {
	t.Helper()
	img, fam, err := imagebuild.BuildRPMFamily(name, t.TempDir(), testenv.Cached)
	if errors.Is(err, imagebuild.ErrNoRPMTools) {
		testenv.Unavailable(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return img, fam
}

// rpmNEVRA is a scanned package as the oracle prints it.
func rpmNEVRA(p types.Package) string {
	return imagebuild.RPMPackage{Name: p.Name, Epoch: p.Epoch, Version: p.Version, Release: p.Release, Arch: p.Arch}.NEVRA()
}

// TestRPMFamilyImages scans the image of every rpm family (a real rpm
// database, the family's release files, a second layer in which rpm
// updated one package) and checks the OS, that the packages are exactly
// those Debian's rpm lists from the final database, and which layer each
// package is said to come from.
//
// Under -short, TestRPMFamilyImagesByFormat scans one image per database
// format (BerkeleyDB, SQLite, NDB); TestRPMFamilyImages scans the others
// (a dozen images of up to 45 MB: the e2e tier).
func TestRPMFamilyImages(t *testing.T) {
	testenv.Slow(t, "builds and scans a dozen rpm images of up to 45 MB")
	var names []string
	for _, f := range imagebuild.RPMFamilies {
		if !slices.Contains(rpmFamiliesByFormat, f.Name) {
			names = append(names, f.Name)
		}
	}
	testRPMFamilies(t, names)
}

// rpmFamiliesByFormat are one image per rpm database format.
var rpmFamiliesByFormat = []string{"centos7", "cbl-mariner2", "sles15"}

// TestRPMFamilyImagesByFormat is TestRPMFamilyImages on one image per
// database format.
func TestRPMFamilyImagesByFormat(t *testing.T) { testRPMFamilies(t, rpmFamiliesByFormat) }

func testRPMFamilies(t *testing.T, names []string) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			built, fam := buildRPMFamily(t, name)
			t.Logf("image built in %v", time.Since(start).Round(time.Millisecond))
			start = time.Now()
			img, err := imagebuild.EngineImage(fam.Name, built.Image)
			if err != nil {
				t.Fatal(err)
			}
			opts := DefaultOptions()
			opts.TempDir = t.TempDir()
			rep, err := Image(context.Background(), img, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("scanned in %v", time.Since(start).Round(time.Millisecond))
			if os := rep.Metadata.OS; os == nil || os.Family != fam.Family || os.Name != fam.Version {
				t.Errorf("OS %+v, want %s %s", os, fam.Family, fam.Version)
			}
			if len(rep.Results) == 0 || rep.Results[0].Class != types.ClassOSPkg {
				t.Fatalf("no OS package result: %+v", rep.Results)
			}
			var got []string
			byName := map[string]types.Package{}
			for _, p := range rep.Results[0].Packages {
				got = append(got, rpmNEVRA(p))
				byName[p.Name+"."+p.Arch] = p
			}
			var want []string
			for _, p := range built.Packages {
				want = append(want, p.NEVRA())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%d packages, the rpm oracle lists %d; only ours: %v; only rpm's: %v",
					len(got), len(want), minus(got, want), minus(want, got))
			}

			after := built.After
			up, ok := byName[after.Name+"."+after.Arch]
			switch {
			case !ok:
				t.Errorf("updated package %s missing", after.NEVRA())
			case rpmNEVRA(up) != after.NEVRA() || up.Layer.DiffID != built.DiffIDs[1]:
				t.Errorf("updated package %s from layer %s, want %s from layer 2 %s", rpmNEVRA(up), up.Layer.DiffID, after.NEVRA(), built.DiffIDs[1])
			}
			if after.Modularitylabel != "" && up.Modularitylabel != after.Modularitylabel {
				t.Errorf("updated package's modularity label %q, want %q", up.Modularitylabel, after.Modularitylabel)
			}
			// Packages rpm did not touch were installed by layer 1.
			var wrong []string
			for _, p := range rep.Results[0].Packages {
				if p.Name != after.Name && p.Layer.DiffID != built.DiffIDs[0] {
					wrong = append(wrong, p.Name)
				}
			}
			if len(wrong) > 0 {
				t.Errorf("%d untouched packages not attributed to layer 1 %s, e.g. %s", len(wrong), built.DiffIDs[0], wrong[0])
			}
		})
	}
}

// minus is a - b for sorted lists, at most 5 shown.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("... %d in all", len(out)))
	}
	return out
}
