package ospkg

import (
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestRPMMutatedDatabases feeds thousands of damaged copies of the
// fixtures (bytes changed, lengths set to extremes, runs cut out) to the
// reader, each under a watchdog: every one must end, with packages or an
// error. It found the string-count walk checkBlob now bounds.
func TestRPMMutatedDatabases(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, fx := range rpmFixtures {
		db := gunzipFixture(t, fx.gz)
		db = db[:min(len(db), 128<<10)]
		for i := 0; i < 500; i++ {
			b := append([]byte{}, db...)
			for k := 0; k < 1+r.Intn(8); k++ {
				j := r.Intn(len(b) - 4)
				switch r.Intn(5) {
				case 0:
					b[j] = byte(r.Intn(256))
				case 1:
					copy(b[j:], []byte{0xff, 0xff, 0xff, 0xff})
				case 2:
					copy(b[j:], []byte{0x7f, 0xff, 0xff, 0xff})
				case 3:
					copy(b[j:], []byte{0, 0, 0, byte(r.Intn(256))})
				case 4:
					b = append(b[:j], b[j+1+r.Intn(64):]...)
				}
			}
			p := filepath.Join(t.TempDir(), "db")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				ReadRPMDB(p)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("%s, mutation %d: no answer in 5s:\n%s", fx.gz, i, buf[:n])
			}
		}
	}
}
