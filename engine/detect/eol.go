package detect

import (
	"time"

	"github.com/docker-scan/docker-scan/engine/families"
)

// EndOfLife reports whether an OS version was past its end of support at
// now. Unknown families and releases are not reported as ended.
func EndOfLife(family, version string, now time.Time) bool {
	f, ok := families.ByName(family)
	return ok && f.EndOfLife(version, now)
}
