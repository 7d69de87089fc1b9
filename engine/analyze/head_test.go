package analyze

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/imagebuild"
	"github.com/docker-scan/docker-scan/engine/types"
)

// textOnly is a recorder that turns binaries down from their head, as the
// secret analyzer does, and records the heads it was shown.
type textOnly struct {
	recorder
	heads *[]string
}

func (textOnly) Name() string { return "text-only" }
func (t textOnly) WantsHead(p string, head []byte) bool {
	*t.heads = append(*t.heads, p+":"+string(rune('0'+min(len(head)/HeadSize, 9))))
	return bytes.IndexByte(head, 0) < 0
}

// TestHeadFilter: a HeadFilter sees the first HeadSize bytes (all of a
// smaller file) and is not given the files it turns down; an analyzer
// beside it that wants every file still gets them whole; a stream
// analyzer's peek before it changes nothing.
func TestHeadFilter(t *testing.T) {
	big := strings.Repeat("x", HeadSize+100)
	b, err := imagebuild.TarBytes([]imagebuild.File{
		{Path: "bin/tool", Body: "\x7fELF\x00" + big},
		{Path: "etc/app.conf", Body: "password = hunter22\n"},
		{Path: "srv/big.txt", Body: big},
		{Path: "srv/late-nul.txt", Body: big + "\x00"}, // a NUL past the head is text
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, streamers := range [][]StreamAnalyzer{nil, {&neverStream{}}} {
		var filtered, all, heads []string
		cfg := Config{Analyzers: []Analyzer{textOnly{recorder{&filtered}, &heads}, recorder{&all}}, Streamers: streamers}
		if err := Walk(context.Background(), bytes.NewReader(b), cfg, &types.LayerResult{}); err != nil {
			t.Fatal(err)
		}
		names := func(seen []string) []string {
			var out []string
			for _, s := range seen {
				name, content, _ := strings.Cut(s, "=")
				if name == "srv/big.txt" && content != big {
					t.Errorf("%s offered %d bytes, want all %d", name, len(content), len(big))
				}
				out = append(out, name)
			}
			slices.Sort(out)
			return out
		}
		if got := names(filtered); !slices.Equal(got, []string{"etc/app.conf", "srv/big.txt", "srv/late-nul.txt"}) {
			t.Errorf("streamers %d: head filter given %v", len(streamers), got)
		}
		if got := names(all); !slices.Equal(got, []string{"bin/tool", "etc/app.conf", "srv/big.txt", "srv/late-nul.txt"}) {
			t.Errorf("streamers %d: the other analyzer given %v", len(streamers), got)
		}
		// Full heads ("1") for the large files, the whole small file ("0").
		if got := strings.Join(heads, " "); got != "bin/tool:1 etc/app.conf:0 srv/big.txt:1 srv/late-nul.txt:1" {
			t.Errorf("streamers %d: heads %s", len(streamers), got)
		}
	}
}

// neverStream peeks at every file and takes none.
type neverStream struct{}

func (*neverStream) Name() string { return "never" }
func (*neverStream) Version() int { return 1 }
func (*neverStream) WantsStream(string, int64, fs.FileMode, []byte) bool {
	return false
}
func (*neverStream) AnalyzeStream(string, int64, io.Reader, *types.LayerResult) error { return nil }
