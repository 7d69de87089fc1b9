package license

import (
	"strings"
	"testing"

	"github.com/docker-scan/docker-scan/engine/types"
)

// FuzzLicenseFile: any bytes, as a licence file, a Debian copyright file
// or a package source, give no panic, no error, and well-formed findings.
func FuzzLicenseFile(f *testing.F) {
	for _, name := range []string{"MIT.txt", "BSD-3-Clause.txt", "english.txt"} {
		f.Add(uint8(0), testdata(f, name))
	}
	f.Add(uint8(1), []byte("License: MIT\n"))
	f.Add(uint8(1), []byte("see /usr/share/common-licenses/GPL-2\n"))
	f.Add(uint8(2), []byte("// SPDX-License-Identifier: (MIT OR Apache-2.0) AND BSD-2-Clause\n"))
	f.Add(uint8(2), []byte("/* SPDX-License-Identifier: ((((((((MIT */\n"))
	f.Add(uint8(0), []byte("licen\x00se"))
	f.Add(uint8(0), []byte(""))
	a, err := NewAnalyzer(Options{})
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{"opt/x/LICENSE", "usr/share/doc/pkg/copyright", "srv/node_modules/x/index.js"}
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		p := paths[int(which)%len(paths)]
		res := &types.LayerResult{}
		if !a.Wants(p, int64(len(content))) || !a.WantsHead(p, content[:min(len(content), 8<<10)]) {
			return
		}
		if err := a.Analyze(p, content, res); err != nil {
			t.Fatal(err)
		}
		if len(res.Licenses) > 1 {
			t.Fatalf("%d files from one", len(res.Licenses))
		}
		for _, lf := range res.Licenses {
			if lf.FilePath != p || lf.Type == "" {
				t.Errorf("file %+v", lf)
			}
			for _, fi := range lf.Findings {
				if strings.TrimSpace(fi.Name) == "" || fi.Confidence < DefaultThreshold || fi.Confidence > 1 || len(fi.Name) > maxTagLength {
					t.Errorf("finding %+v", fi)
				}
			}
		}
	})
}
