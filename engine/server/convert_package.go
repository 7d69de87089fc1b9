package server

import (
	"fmt"

	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/types"
)

// packageExtras are a package's fields that common.Package has no field
// for, keyed by the package's index in its list. Only packages with one
// of them set get an entry.
type packageExtras struct {
	I               int
	InstalledFiles  []string         `json:",omitempty"`
	Modularitylabel string           `json:",omitempty"`
	BuildInfo       *types.BuildInfo `json:",omitempty"`
	// Epoch and SrcEpoch when they do not fit the wire's int32.
	Epoch    int `json:",omitempty"`
	SrcEpoch int `json:",omitempty"`
}

func (e packageExtras) empty() bool {
	return len(e.InstalledFiles) == 0 && e.Modularitylabel == "" && e.BuildInfo == nil && e.Epoch == 0 && e.SrcEpoch == 0
}

func packageToWire(p *types.Package) *common.Package {
	w := &common.Package{
		Id:           p.ID,
		Name:         p.Name,
		Version:      p.Version,
		Release:      p.Release,
		Epoch:        clampInt32(p.Epoch),
		Arch:         p.Arch,
		SrcName:      p.SrcName,
		SrcVersion:   p.SrcVersion,
		SrcRelease:   p.SrcRelease,
		SrcEpoch:     clampInt32(p.SrcEpoch),
		Licenses:     p.Licenses,
		Layer:        layerRefToWire(p.Layer),
		FilePath:     p.FilePath,
		DependsOn:    p.DependsOn,
		Digest:       p.Digest,
		Indirect:     p.Indirect,
		Maintainer:   p.Maintainer,
		Relationship: int32(p.Relationship),
		AnalyzedBy:   p.AnalyzedBy,
	}
	if p.Identifier != (types.Identifier{}) {
		w.Identifier = &common.PkgIdentifier{Purl: p.Identifier.PURL, Uid: p.Identifier.UID}
	}
	if p.Repository.Class != types.RepositoryClassUnknown {
		w.Repository = &common.PackageRepository{Class: string(p.Repository.Class)}
	}
	return w
}

// packageExtrasOf is what of p the wire cannot carry; i is its index.
func packageExtrasOf(i int, p *types.Package) packageExtras {
	e := packageExtras{I: i, InstalledFiles: p.InstalledFiles, Modularitylabel: p.Modularitylabel, BuildInfo: p.BuildInfo}
	if !fitsInt32(p.Epoch) {
		e.Epoch = p.Epoch
	}
	if !fitsInt32(p.SrcEpoch) {
		e.SrcEpoch = p.SrcEpoch
	}
	return e
}

func packagesToWire(pkgs []types.Package) ([]*common.Package, []packageExtras) {
	if len(pkgs) == 0 {
		return nil, nil
	}
	out := make([]*common.Package, len(pkgs))
	var extras []packageExtras
	for i := range pkgs {
		out[i] = packageToWire(&pkgs[i])
		if e := packageExtrasOf(i, &pkgs[i]); !e.empty() {
			extras = append(extras, e)
		}
	}
	return out, extras
}

func packageFromWire(w *common.Package, b *wireBudget) (types.Package, error) {
	if w == nil {
		return types.Package{}, fmt.Errorf("empty package entry")
	}
	epoch, err := checkWireInt(w.Epoch, "package "+w.Name+" epoch")
	if err != nil {
		return types.Package{}, err
	}
	srcEpoch, err := checkWireInt(w.SrcEpoch, "package "+w.Name+" source epoch")
	if err != nil {
		return types.Package{}, err
	}
	if err := checkWirePath(w.FilePath, "package file path"); err != nil {
		return types.Package{}, err
	}
	if err := b.take(len(w.Licenses)+len(w.DependsOn)+len(w.Locations), "package fields"); err != nil {
		return types.Package{}, err
	}
	p := types.Package{
		ID:         w.Id,
		Name:       w.Name,
		Version:    w.Version,
		Release:    w.Release,
		Epoch:      epoch,
		Arch:       w.Arch,
		SrcName:    w.SrcName,
		SrcVersion: w.SrcVersion,
		SrcRelease: w.SrcRelease,
		SrcEpoch:   srcEpoch,
		Licenses:   w.Licenses,
		Maintainer: w.Maintainer,
		Repository: types.PackageRepository{Class: types.RepositoryClass(w.GetRepository().GetClass())},
		Indirect:   w.Indirect,
		DependsOn:  w.DependsOn,
		Layer:      layerRefFromWire(w.Layer),
		FilePath:   w.FilePath,
		Digest:     w.Digest,
		AnalyzedBy: w.AnalyzedBy,
		Identifier: types.Identifier{PURL: w.GetIdentifier().GetPurl(), UID: w.GetIdentifier().GetUid()},
	}
	// A relationship this version does not know is unknown, as Trivy
	// reads it.
	if r := types.Relationship(w.Relationship); r > types.RelationshipUnknown && r <= types.RelationshipIndirect {
		p.Relationship = r
	}
	return p, nil
}

func packagesFromWire(ws []*common.Package, b *wireBudget) ([]types.Package, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	if err := b.take(len(ws), "packages"); err != nil {
		return nil, err
	}
	out := make([]types.Package, len(ws))
	for i, w := range ws {
		p, err := packageFromWire(w, b)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// applyPackageExtras puts back what the wire could not carry.
func applyPackageExtras(pkgs []types.Package, extras []packageExtras, b *wireBudget) error {
	for _, e := range extras {
		if e.I < 0 || e.I >= len(pkgs) {
			return fmt.Errorf("extras name package %d of %d", e.I, len(pkgs))
		}
		if err := b.take(len(e.InstalledFiles), "installed files"); err != nil {
			return err
		}
		if e.BuildInfo != nil {
			if err := b.take(len(e.BuildInfo.ContentSets), "content sets"); err != nil {
				return err
			}
		}
		p := &pkgs[e.I]
		p.InstalledFiles, p.Modularitylabel, p.BuildInfo = e.InstalledFiles, e.Modularitylabel, e.BuildInfo
		if e.Epoch != 0 {
			p.Epoch = e.Epoch
		}
		if e.SrcEpoch != 0 {
			p.SrcEpoch = e.SrcEpoch
		}
	}
	return nil
}
