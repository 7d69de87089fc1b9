package ospkg

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Bottlerocket keeps no package database on the host, only an inventory
// of what its image was built from, one per architecture's sys-root.
var bottlerocketInventories = map[string]bool{
	"x86_64-bottlerocket-linux-gnu/sys-root/usr/share/bottlerocket/application-inventory.json":  true,
	"aarch64-bottlerocket-linux-gnu/sys-root/usr/share/bottlerocket/application-inventory.json": true,
	"usr/share/bottlerocket/application-inventory.json":                                         true,
}

// BottlerocketInventory reads Bottlerocket's application inventory: a
// JSON list of the rpm packages the OS image was built from.
type BottlerocketInventory struct{}

func (BottlerocketInventory) Name() string { return "bottlerocket-inventory" }
func (BottlerocketInventory) Version() int { return 1 }

func (BottlerocketInventory) Wants(filePath string, size int64) bool {
	return bottlerocketInventories[filePath] && size <= maxWantedDBSize
}

func (a BottlerocketInventory) Analyze(filePath string, content []byte, res *types.LayerResult) error {
	if len(content) > maxDBSize {
		tooBig(res, a.Name(), filePath, len(content))
		return nil
	}
	pkgs, skipped, err := parseBottlerocketInventory(content)
	if err != nil {
		return err
	}
	res.PackageDBs = append(res.PackageDBs, types.PackageDB{FilePath: filePath, Type: "bottlerocket", Packages: pkgs})
	skipped.issues(res, a.Name(), filePath)
	return nil
}

// inventoryEntry is one package of the inventory. Epoch is a string in
// the files Bottlerocket writes; a number is taken too.
type inventoryEntry struct {
	Name         string          `json:"Name"`
	Publisher    string          `json:"Publisher"`
	Version      string          `json:"Version"`
	Epoch        json.RawMessage `json:"Epoch"`
	Architecture string          `json:"Architecture"`
}

func parseBottlerocketInventory(content []byte) ([]types.Package, notes, error) {
	var inv struct {
		Content []inventoryEntry `json:"Content"`
	}
	var skipped notes
	if err := json.Unmarshal(content, &inv); err != nil {
		return nil, skipped, fmt.Errorf("bottlerocket application inventory: %w", err)
	}
	var pkgs []types.Package
	for _, e := range inv.Content {
		if len(pkgs) == maxPackagesPerDB {
			skipped.add(fmt.Sprintf("packages past the first %d were not read", maxPackagesPerDB), e.Name)
			break
		}
		if e.Name == "" || e.Version == "" {
			skipped.add("entries without a name or version were left out", e.Name)
			continue
		}
		epoch, err := inventoryEpoch(e.Epoch)
		if err != nil {
			skipped.add("entries with an epoch that is not a number were left out", e.Name)
			continue
		}
		// As Trivy reports them: the inventory's release (the build's
		// date and commit) is left out, the epoch kept apart.
		p := types.Package{ID: e.Name + "@" + e.Version, Name: e.Name, Version: e.Version, Epoch: epoch, Arch: e.Architecture}
		pkgs = append(pkgs, p)
	}
	return pkgs, skipped, nil
}

func inventoryEpoch(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("epoch %q", s)
	}
	return n, nil
}
