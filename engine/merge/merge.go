// Package merge applies analyzed layers in order, the way the image's root
// filesystem stacks them, and returns what is visible at the top.
package merge

import (
	"path"
	"slices"

	"github.com/docker-scan/docker-scan/engine/families"
	"github.com/docker-scan/docker-scan/engine/types"
)

// state is what the layers applied so far put at each path, each with the
// index of the layer that put it there; what later whiteouts hide is
// decided by deleted, at the end.
type state struct {
	releases map[string]added[types.OSRelease]
	repos    map[string]added[types.Repository]
	dbs      map[string]added[types.PackageDB]
	facts    map[string]added[types.PackageFacts]
	deleted  *deletions
	// osOrigin is the first layer each OS package (name, version,
	// release) appeared in, in any OS package database.
	osOrigin map[string]types.LayerRef
}

type added[V any] struct {
	value V
	layer int
}

// Options change what a merge keeps.
type Options struct {
	// KeepOSOwned keeps the language packages whose metadata an OS package
	// installed, so that they are matched against upstream advisories as
	// well as the OS vendor's (Trivy's comprehensive detection priority).
	// By default they are left to the OS package: vendors backport fixes
	// without changing the upstream version, so upstream advisories would
	// report fixed packages as vulnerable.
	KeepOSOwned bool
}

// Layers merges per-layer results, bottom layer first.
func Layers(layers []*types.LayerResult) types.Artifact { return LayersWith(layers, Options{}) }

// LayersWith merges per-layer results, bottom layer first, as opts say.
func LayersWith(layers []*types.LayerResult, opts Options) types.Artifact {
	s := state{
		releases: map[string]added[types.OSRelease]{},
		repos:    map[string]added[types.Repository]{},
		dbs:      map[string]added[types.PackageDB]{},
		facts:    map[string]added[types.PackageFacts]{},
		deleted:  newDeletions(),
		osOrigin: map[string]types.LayerRef{},
	}
	for i, l := range layers {
		// A layer's whiteouts and opaque markers hide what lower layers
		// have; the layer's own files are added after.
		for _, dir := range l.OpaqueDirs {
			s.deleted.opaqueDir(dir, i)
		}
		for _, file := range l.WhiteoutFiles {
			s.deleted.whiteout(file, i)
		}
		ref := layerRef(l)
		for _, r := range l.OSReleases {
			s.releases[r.FilePath] = added[types.OSRelease]{r, i}
		}
		for _, r := range l.Repositories {
			s.repos[r.FilePath] = added[types.Repository]{r, i}
		}
		for _, f := range l.PackageFacts {
			s.facts[f.FilePath] = added[types.PackageFacts]{f, i}
		}
		for _, db := range l.PackageDBs {
			if families.IsOSPackageType(db.Type) {
				s.dbs[db.FilePath] = added[types.PackageDB]{attributeOS(db, s.osOrigin, ref), i}
				continue
			}
			var below types.PackageDB
			if prev, ok := s.dbs[db.FilePath]; ok && !s.deleted.hidden(db.FilePath, prev.layer) {
				below = prev.value
			}
			s.dbs[db.FilePath] = added[types.PackageDB]{attribute(db, below, ref), i}
		}
	}
	releases, repos, dbs, facts := visible(s.releases, s.deleted), visible(s.repos, s.deleted), visible(s.dbs, s.deleted), visible(s.facts, s.deleted)

	art := types.Artifact{OS: chooseOS(releases, dbs), Secrets: secrets(layers, s.deleted)}
	art.Misconfigurations = misconfigurations(layers, s.deleted)
	art.Licenses = licenseFiles(layers, s.deleted)
	for _, l := range layers {
		art.Issues = append(art.Issues, l.Issues...)
	}
	for _, p := range sortedKeys(repos) {
		r := repos[p]
		art.Repository = &r
	}
	for _, p := range sortedKeys(dbs) {
		art.PackageDBs = append(art.PackageDBs, dbs[p])
	}
	attachFacts(art.PackageDBs, facts)
	attachBuildInfo(art.PackageDBs, layers)
	if !opts.KeepOSOwned {
		art.PackageDBs = dropOwned(art.PackageDBs)
	}
	art.Issues = append(art.Issues, resolveLanguageDepends(art.PackageDBs)...)
	setIdentifiers(art.PackageDBs, art.OS)
	return art
}

// dropOwned removes language packages whose metadata file an OS package
// installed (Debian's python3-yaml ships PyYAML's egg-info): they are the
// OS package's, and reported as such.
func dropOwned(dbs []types.PackageDB) []types.PackageDB {
	owned := map[string]bool{}
	for _, db := range dbs {
		if families.IsOSPackageType(db.Type) {
			for _, p := range db.Packages {
				for _, f := range p.InstalledFiles {
					owned[f] = true
				}
			}
		}
	}
	if len(owned) == 0 {
		return dbs
	}
	out := dbs[:0]
	for _, db := range dbs {
		if !families.IsOSPackageType(db.Type) && (owned[db.FilePath] || owned[path.Dir(db.FilePath)]) {
			continue
		}
		out = append(out, db)
	}
	return out
}

// visible is what no later layer hides, by path.
func visible[V any](m map[string]added[V], deleted *deletions) map[string]V {
	out := make(map[string]V, len(m))
	for p, a := range m {
		if !deleted.hidden(p, a.layer) {
			out[p] = a.value
		}
	}
	return out
}

// attributeOS sets the layer of each OS package of a database found in
// layer ref: the first layer whose OS package database listed a package
// of that name, version and release, whatever the database's path (an
// image that converts rpm's Packages to rpmdb.sqlite in a later layer
// does not re-introduce every package) and even if a layer between
// deleted it. This is Trivy's rule, and its key: epoch and arch are not
// part of it.
func attributeOS(db types.PackageDB, origin map[string]types.LayerRef, ref types.LayerRef) types.PackageDB {
	pkgs := make([]types.Package, len(db.Packages))
	for i, p := range db.Packages {
		key := p.Name + "\x00" + p.Version + "\x00" + p.Release
		l, ok := origin[key]
		if !ok {
			l = ref
			origin[key] = ref
		}
		p.Layer = l
		pkgs[i] = p
	}
	db.Packages = pkgs
	return db
}

// attribute sets the layer of each package of a database found in layer
// ref. A package that the same database file already listed, at the same
// full version (epoch, version and release), below this layer keeps the
// layer that introduced it: rewriting the database (every `apk add` does)
// does not re-introduce old packages.
func attribute(db, below types.PackageDB, ref types.LayerRef) types.PackageDB {
	earlier := map[string]types.LayerRef{}
	for _, p := range below.Packages {
		earlier[p.Name+"@"+p.FullVersion()+"/"+p.Arch] = p.Layer
	}
	pkgs := make([]types.Package, len(db.Packages))
	for i, p := range db.Packages {
		p.Layer = ref
		if l, ok := earlier[p.Name+"@"+p.FullVersion()+"/"+p.Arch]; ok {
			p.Layer = l
		}
		pkgs[i] = p
	}
	db.Packages = pkgs
	return db
}

// attachFacts gives dpkg packages the files and licenses dpkg keeps beside
// its database, and the digest of their exact version (matched by ID) from
// a file of digests (var/lib/dpkg/available).
func attachFacts(dbs []types.PackageDB, facts map[string]types.PackageFacts) {
	type key struct{ typ, pkg string }
	byPkg := map[key][]types.PackageFacts{}
	digests := map[key]string{}
	for _, p := range sortedKeys(facts) {
		f := facts[p]
		for id, d := range f.Digests {
			digests[key{f.Type, id}] = d
		}
		if f.Package == "" {
			continue
		}
		byPkg[key{f.Type, f.Package}] = append(byPkg[key{f.Type, f.Package}], f)
	}
	for _, db := range dbs {
		for i := range db.Packages {
			p := &db.Packages[i]
			if d, ok := digests[key{db.Type, p.ID}]; ok && p.Digest == "" {
				p.Digest = d
			}
			for _, f := range byPkg[key{db.Type, p.Name}] {
				if !p.ThirdParty() { // Trivy lists no files for them
					p.InstalledFiles = append(p.InstalledFiles, f.InstalledFiles...)
				}
				for _, l := range f.Licenses {
					if !slices.Contains(p.Licenses, l) {
						p.Licenses = append(p.Licenses, l)
					}
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// secrets lists every secret of every layer, attributed to its layer, and
// marks those whose file a later layer deletes: not in the final
// filesystem, but still in the image.
func secrets(layers []*types.LayerResult, deleted *deletions) []types.SecretFile {
	var out []types.SecretFile
	for i, l := range layers {
		ref := layerRef(l)
		for _, sf := range l.Secrets {
			removed := deleted.hidden(sf.FilePath, i)
			file := types.SecretFile{FilePath: sf.FilePath}
			for _, f := range sf.Findings {
				f.Layer, f.Removed = ref, removed
				file.Findings = append(file.Findings, f)
			}
			out = append(out, file)
		}
	}
	return out
}
