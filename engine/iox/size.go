package iox

import "fmt"

// HumanSize prints a byte count in the largest binary unit that keeps it
// at least 1: "512 B", "1.6 KiB", "830.0 MiB". Logs, progress and errors
// all say sizes this way.
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
