package imagebuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/docker-scan/docker-scan/engine/types"
)

// RootfsImage hands the engine an image of one uncompressed layer, the
// tar at layerTar (a root written by DirTar), read as `docker save` and
// `--input` hand layers over: a plain tar. Benchmarks of real roots (the
// Debian application image) use it, so that neither their setup nor what
// they time includes a gzip pass the real path does not make.
func RootfsImage(name, layerTar string) (*types.Image, error) {
	f, err := os.Open(layerTar)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	cf := &v1.ConfigFile{OS: "linux", Architecture: "amd64", Created: v1.Time{Time: epoch},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{diffID}}}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	raw, err := json.Marshal(cf)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(raw)
	return &types.Image{
		Name: name, ID: "sha256:" + hex.EncodeToString(id[:]), Config: cf, Source: "test", Close: func() error { return nil },
		Layers: []types.Layer{{Digest: diffID.String(), DiffID: diffID.String(), Size: size,
			Open: func() (io.ReadCloser, error) { return os.Open(layerTar) }}},
	}, nil
}
