package imagebuild_test

import (
	"archive/tar"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/testenv"
)

func goRPMDBTestdata(t *testing.T) string {
	t.Helper()
	if err := imagebuild.RPMToolsAvailable(); err != nil {
		testenv.Unavailable(t, err)
	}
	td, err := imagebuild.GoRPMDBTestdata()
	if errors.Is(err, imagebuild.ErrNoRPMTools) {
		testenv.Unavailable(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return td
}

// layerFiles lists a layer's tar entries: path -> content.
func layerFiles(t *testing.T, l v1.Layer) map[string]string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(b)
	}
}

// TestBuildRPMImageBerkeleyDB updates the one package of a real
// BerkeleyDB (libuuid, from go-rpmdb's data): layer 1 holds the database
// as it was, layer 2 the SQLite database rpm converted it to and a
// whiteout of the old file; the oracle saw the old and the new version.
func TestBuildRPMImageBerkeleyDB(t *testing.T) {
	td := goRPMDBTestdata(t)
	base := filepath.Join(td, "libuuid", "Packages")
	img, err := imagebuild.BuildRPMImage(imagebuild.RPMImageSpec{
		BaseDB: base, DBPath: "var/lib/rpm/Packages",
		Files:   []imagebuild.File{{Path: "etc/os-release", Body: "ID=centos\nVERSION_ID=7\n"}},
		Update:  imagebuild.RPMUpdate{Name: "libuuid", SrcName: "util-linux", Version: "2.23.2", Release: "65.el7_9.1"},
		WorkDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Base) != 1 || img.Before.Name != "libuuid" || img.Before.NEVRA() == img.After.NEVRA() {
		t.Fatalf("base %v, before %s, after %s", img.Base, img.Before.NEVRA(), img.After.NEVRA())
	}
	if len(img.Packages) != 1 || img.Packages[0] != img.After || img.After.SourceRPM != "util-linux-2.23.2-65.el7_9.1.src.rpm" || img.After.Arch != img.Before.Arch {
		t.Errorf("after the update: %+v", img.Packages)
	}
	layers, err := img.Image.Layers()
	if err != nil || len(layers) != 2 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	want, _ := os.ReadFile(base)
	l1, l2 := layerFiles(t, layers[0]), layerFiles(t, layers[1])
	if l1["var/lib/rpm/Packages"] != string(want) || l1["etc/os-release"] == "" {
		t.Errorf("layer 1 does not hold the base database and the release file: %d entries", len(l1))
	}
	if _, ok := l2["var/lib/rpm/.wh.Packages"]; !ok || img.DBPath != "var/lib/rpm/rpmdb.sqlite" || !strings.HasPrefix(l2[img.DBPath], "SQLite format 3\x00") || len(l2) != 2 {
		t.Errorf("layer 2 (database at %s): %v entries", img.DBPath, slices.Sorted(maps.Keys(l2)))
	}
	for i, l := range layers {
		d, _ := l.DiffID()
		if d.String() != img.DiffIDs[i] {
			t.Errorf("layer %d diffID %s, RPMImage says %s", i+1, d, img.DiffIDs[i])
		}
	}
}

// TestBuildRPMImageNDB checks the NDB carry-over (headers read with
// go-rpmdb, written by rpm into SQLite) against the list go-rpmdb's
// authors took with rpm -qa in the SLE 15 SP3 BCI image.
func TestBuildRPMImageNDB(t *testing.T) {
	goRPMDBTestdata(t)
	img, fam, err := imagebuild.BuildRPMFamily("sles15", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("..", "analyze", "ospkg", "testdata", "rpm", "ndb-sle15-bci.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(golden)), "\n") {
		f := strings.Split(line, "\t")
		epoch, _ := strconv.Atoi(f[1])
		p := imagebuild.RPMPackage{Name: f[0], Epoch: epoch, Version: f[2], Release: f[3], Arch: f[4]}
		if p.Name == fam.Update.Name {
			p.Version, p.Release = fam.Update.Version, fam.Update.Release
		}
		want = append(want, p.NEVRA())
	}
	var got []string
	for _, p := range img.Packages {
		got = append(got, p.NEVRA())
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the update rpm lists\n%v\nwant\n%v", got, want)
	}
	if img.Base != nil || img.DBPath != "usr/lib/sysimage/rpm/rpmdb.sqlite" {
		t.Errorf("base list %v (rpm cannot read NDB), database at %s", img.Base, img.DBPath)
	}
}

// TestBuildRPMImageConcurrent builds the same image twice at once with a
// fresh cache: both get the one cache entry (rpm stamps an install time,
// so two separate builds would differ), neither fails.
func TestBuildRPMImageConcurrent(t *testing.T) {
	td := goRPMDBTestdata(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	spec := imagebuild.RPMImageSpec{
		BaseDB: filepath.Join(td, "libuuid", "Packages"), DBPath: "var/lib/rpm/Packages",
		Update: imagebuild.RPMUpdate{Name: "libuuid", Version: "2.23.2", Release: "99.el7"},
		Cache:  testenv.Cached,
	}
	var wg sync.WaitGroup
	imgs := make([]*imagebuild.RPMImage, 2)
	errs := make([]error, 2)
	for i := range imgs {
		s := spec
		s.WorkDir = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			imgs[i], errs[i] = imagebuild.BuildRPMImage(s)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if imgs[0].DiffIDs != imgs[1].DiffIDs {
		t.Errorf("two builds of one cached image differ: %v %v", imgs[0].DiffIDs, imgs[1].DiffIDs)
	}
}
