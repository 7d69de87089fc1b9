package license

import (
	"sync"
	"weak"

	"github.com/docker-scan/docker-scan/engine/types"
)

// MaxBytesPerLayer bounds the text classified in one layer. Classifying
// costs about 4 ms per KiB of licence text (GPL-3.0, 35 KiB: 130 ms), so
// this keeps a hostile or huge layer (every file a licence) to a couple
// of minutes; a real one uses a few MiB (a node_modules of 1,000
// packages: about 1.5 MiB of licence files and the headers of its
// sources that mention a licence).
const MaxBytesPerLayer = 32 << 20

// budgets counts the bytes classified per layer result. The walker hands
// one layer's files to the analyzer one after another, but layers are
// walked in parallel, so the count is kept per result, weakly (a finished
// layer's result is not kept alive by it).
type budgets struct {
	mu   sync.Mutex
	used map[weak.Pointer[types.LayerResult]]*budget
}

type budget struct {
	bytes    int64
	exceeded bool
}

// take accounts n bytes of res's layer. It returns false when the layer
// has used its budget; first is true the first time it does, so that the
// layer gets one issue.
func (b *budgets) take(res *types.LayerResult, n int) (ok, first bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := weak.Make(res)
	u := b.used[key]
	if u == nil {
		if b.used == nil {
			b.used = map[weak.Pointer[types.LayerResult]]*budget{}
		}
		// Forget the layers whose results are gone; this runs once per
		// layer, over the few layers in flight.
		for k := range b.used {
			if k.Value() == nil {
				delete(b.used, k)
			}
		}
		u = &budget{}
		b.used[key] = u
	}
	if u.bytes+int64(n) > MaxBytesPerLayer {
		first = !u.exceeded
		u.exceeded = true
		return false, first
	}
	u.bytes += int64(n)
	return true, false
}
