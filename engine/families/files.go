package families

import "strings"

// ReportedFiles is the list of files an OS package owns as Trivy's JSON
// shows it. The analyzers keep every path relative to the image root, as
// the merge step and the language analyzers compare them; Trivy prints
// apk's paths that way, but dpkg's and rpm's absolute, as those package
// managers record them, and dpkg's without the directories its .list
// files also name (a path followed by one inside it is a directory).
func (m PackageManager) ReportedFiles(files []string) []string {
	if len(files) == 0 || m.Type == apk.Type {
		return files
	}
	out := make([]string, 0, len(files))
	for i, f := range files {
		if m.Type == dpkg.Type && i+1 < len(files) && strings.HasPrefix(files[i+1], f+"/") {
			continue
		}
		out = append(out, "/"+f)
	}
	return out
}
