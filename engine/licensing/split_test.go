package licensing

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		// Debian copyright "License:" fields.
		{"GPL-1+ or Artistic", []string{"GPL-1+", "Artistic"}},
		{"GPL-1+ or Artistic or Artistic-dist", []string{"GPL-1+", "Artistic", "Artistic-dist"}},
		{"GPL-1+ or Artistic, and BSD-4-clause-POWERDOG", []string{"GPL-1+", "Artistic", "BSD-4-clause-POWERDOG"}},
		{"LGPLv3+_or_GPLv2+", []string{"LGPLv3+", "GPLv2+"}},
		{"BSD-3-CLAUSE and GPL-2", []string{"BSD-3-CLAUSE", "GPL-2"}},
		{"GPL-1+,GPL-2", []string{"GPL-1+", "GPL-2"}},
		{"BSL-1.0 and Jam", []string{"BSL-1.0", "Jam"}},
		{"GPL-2+ with OpenSSL exception", []string{"GPL-2+ with OpenSSL exception"}},
		{"BSD, MIT, or GPL-2", []string{"BSD", "MIT", "GPL-2"}},
		// PyPI "License:" fields and classifiers.
		{"BSD 3-Clause License or Apache License, Version 2.0", []string{"BSD 3-Clause License", "Apache License, Version 2.0"}},
		{"Apache License, Version 2.0", []string{"Apache License, Version 2.0"}},
		{"GNU Lesser General Public License v2 or later (LGPLv2+)", []string{"GNU Lesser General Public License v2 or later (LGPLv2+)"}},
		{"GNU Library or Lesser General Public License (LGPL)", []string{"GNU Library or Lesser General Public License (LGPL)"}},
		{"Common Development and Distribution License 1.0 (CDDL-1.0)", []string{"Common Development and Distribution License 1.0 (CDDL-1.0)"}},
		{"Historical Permission Notice and Disclaimer (HPND)", []string{"Historical Permission Notice and Disclaimer (HPND)"}},
		{"MIT, Apache-2.0", []string{"MIT", "Apache-2.0"}},
		{"MIT,BSD", []string{"MIT", "BSD"}},
		{"Apache 2.0, v2", []string{"Apache 2.0, v2"}},
		// An SPDX expression stays whole: callers normalise it as one.
		{"MIT OR Apache-2.0", []string{"MIT OR Apache-2.0"}},
		{"(MIT AND Zlib)", []string{"(MIT AND Zlib)"}},
		// Texts.
		{"Permission is hereby granted, free of charge, to any person", []string{"text://Permission is hereby granted, free of charge, to any person"}},
		{"http://www.apache.org/licenses/LICENSE-2.0", []string{"text://http://www.apache.org/licenses/LICENSE-2.0"}},
		{"Copyright (c) 2010 Example Corp", []string{"text://Copyright (c) 2010 Example Corp"}},
		{"Redistribution and use in source and binary forms", []string{"text://Redistribution and use in source and binary forms"}},
		{"MIT; see LICENSE", []string{"text://MIT; see LICENSE"}},
		{"This software is provided without warranty", []string{"text://This software is provided without warranty"}},
		// Debian short names holding a word of licence texts are names
		// (liblzma5's copyright file).
		{"permissive-nowarranty", []string{"permissive-nowarranty"}},
		{"GPL-2+ or permissive-nowarranty", []string{"GPL-2+", "permissive-nowarranty"}},
		// Nothing.
		{"", nil},
		{"   ", nil},
		{"MIT, ", []string{"MIT"}},
	} {
		if got := Split(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSplitLax(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		// Alpine "L:".
		{"MIT BSD GPL2+", []string{"MIT", "BSD", "GPL2+"}},
		{"GPL-2.0-or-later WITH Linux-syscall-note", []string{"GPL-2.0-or-later WITH Linux-syscall-note"}},
		{"MPL 2.0 GPL2+", []string{"MPL 2.0", "GPL2+"}},
		{"GPL v2", []string{"GPL v2"}},
		{"GPL version 2", []string{"GPL version 2"}},
		{"LGPL-2.1-or-later AND MIT", []string{"LGPL-2.1-or-later", "MIT"}},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", []string{"MIT", "Apache-2.0", "BSD-3-Clause"}},
		{"GPL-2 WITH Autoconf exception", []string{"GPL-2 WITH Autoconf exception"}},
		{"GPL-2.0-only OR BSD-2-Clause", []string{"GPL-2.0-only", "BSD-2-Clause"}},
		{"Apache-2.0 WITH LLVM-exception AND MIT", []string{"Apache-2.0 WITH LLVM-exception", "MIT"}},
		{"MIT, BSD", []string{"MIT", "BSD"}},
		{"custom", []string{"custom"}},
		{"WITH", nil},
		{"", nil},
	} {
		if got := SplitLax(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitLax(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Split and SplitLax give raw pieces; NormalizeAll after them gives the
// licences a report shows.
func TestSplitThenNormalize(t *testing.T) {
	if got := NormalizeAll(SplitLax("MIT BSD GPL2+ MPL 2.0")); !reflect.DeepEqual(got, []string{"MIT", "BSD-3-Clause", "GPL-2.0-or-later", "MPL-2.0"}) {
		t.Errorf("apk: %q", got)
	}
	if got := NormalizeAll(Split("GPL-1+ or Artistic, and Expat")); !reflect.DeepEqual(got, []string{"GPL-1.0-or-later", "Artistic-1.0-Perl", "MIT"}) {
		t.Errorf("dpkg: %q", got)
	}
}

func TestSplitBounds(t *testing.T) {
	many := strings.Repeat("A,", 120) // under the text length, over the piece limit
	if n := len(Split(many)); n != maxFieldPieces {
		t.Errorf("Split of 120 names: %d pieces, want the limit %d", n, maxFieldPieces)
	}
	if n := len(SplitLax(strings.Repeat("MIT ", 10000))); n > maxFieldPieces {
		t.Errorf("SplitLax of 10000 names: %d pieces, want at most %d", n, maxFieldPieces)
	}
	long := strings.Repeat("a", 2*maxFieldLen)
	if got := Split(long); len(got) != 1 || len(got[0]) > len(TextPrefix)+maxFieldLen {
		t.Errorf("Split of a %d-byte field: %d pieces, first %d bytes", len(long), len(got), len(got[0]))
	}
}

func TestCustomName(t *testing.T) {
	for in, want := range map[string]string{
		"text://Permission is hereby granted, free of charge": "CUSTOM License: Permission is hereby...",
		"Redistribution and\nuse in source":                   "CUSTOM License: Redistribution and use...",
		"MIT":                                                 "CUSTOM License: MIT...",
		// A double space is an empty word, as Trivy counts them
		// (python3.11's copyright file).
		"Permission  is hereby granted": "CUSTOM License: Permission  is...",
	} {
		if got := CustomName(in); got != want {
			t.Errorf("CustomName(%q) = %q, want %q", in, got, want)
		}
	}
}
