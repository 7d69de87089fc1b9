package report

import (
	"encoding/json"
	"io"

	"github.com/docker-scan/docker-scan/engine/types"
)

func writeJSON(w io.Writer, r *types.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
