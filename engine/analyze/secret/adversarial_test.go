package secret

import (
	"fmt"
	"strings"
	"testing"
)

// adversarial are the inputs that made the scan quadratic or its findings
// huge, at the sizes the issue measured; scale divides the sizes (for
// quick tests and fuzz seeds).
func adversarial(scale int) []struct{ name, content string } {
	mib := (1 << 20) / scale
	var generic strings.Builder
	for i := range 300000 / scale {
		fmt.Fprintf(&generic, "user%d.password = \"Wq8#zLm2!pRt%06d\"\n", i, i)
	}
	var aws strings.Builder
	const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for i := range 8000 / scale {
		aws.WriteString("AKIAZ7QW3RT5Y")
		for k := 0; k < 7; k++ {
			aws.WriteByte(base32[i>>(5*k)&31])
		}
		aws.WriteString(" x=")
	}
	var every strings.Builder
	for every.Len() < mib {
		for _, d := range builtinRules {
			for _, k := range d.keywords {
				every.WriteString(k + "=")
			}
		}
	}
	return []struct{ name, content string }{
		{"run-of-A", strings.Repeat("A", mib)},
		{"password=", strings.Repeat("password=", mib/9)},
		{"AKIA", strings.Repeat("AKIA", mib/4)},
		{"pem-then-A", "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("A", 9*mib)},
		{"generic-lines", generic.String()},
		{"aws-line", aws.String() + "\n"},
		{"every-keyword", every.String()},
		{"every-keyword-lines", strings.ReplaceAll(every.String(), "=", "=\n")},
	}
}

// normalText is configuration and prose with a secret now and then (one
// every 1,000 lines): the common case.
func normalText() string {
	var b strings.Builder
	for i := 0; b.Len() < 4<<20; i++ {
		b.WriteString(noise)
		b.WriteString("The quick brown fox jumps over the lazy dog; key-value http://example.org/ disk task.\n")
		if i%150 == 0 {
			b.WriteString("db.password = \"Wq8#zLm2!pRt\"\n")
		}
	}
	return b.String()
}

// BenchmarkScan measures the secret pass in MB/s on ordinary text and on
// the adversarial shapes; every shape must run at a rate of the same order.
func BenchmarkScan(b *testing.B) {
	s := scanner(b)
	inputs := append([]struct{ name, content string }{{"normal-text", normalText()}}, adversarial(1)...)
	for _, in := range inputs {
		content := []byte(in.content)
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			b.ReportAllocs()
			for b.Loop() {
				s.Scan("app/data.txt", content)
			}
		})
	}
}
