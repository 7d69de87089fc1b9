package families

// ReportedFiles is the list of files an OS package owns as Trivy's JSON
// shows it. The analyzers keep every path relative to the image root, as
// the merge step and the language analyzers compare them; Trivy prints
// apk's paths that way, but dpkg's and rpm's absolute, as those package
// managers record them.
func (m PackageManager) ReportedFiles(files []string) []string {
	if len(files) == 0 || m.Type == apk.Type {
		return files
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, "/"+f)
	}
	return out
}
