package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docker-scan/docker-scan/engine/types"
)

// writeStackJSON writes a compose project's report as JSON.
func writeStackJSON(w io.Writer, r *types.StackReport, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// summarySeverities are the count columns of the summary, most severe first.
var summarySeverities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}

func stackTable(w io.Writer, r *types.StackReport, opts Options) error {
	title := line("Compose project " + r.ProjectName)
	fmt.Fprintf(w, "%s\n%s\n", title, strings.Repeat("=", width(title)))
	services := make([]string, 0, len(r.Services))
	for s := range r.Services {
		services = append(services, s)
	}
	sort.Strings(services)
	header := []string{"Service", "Image", "Image ID"}
	for _, s := range summarySeverities {
		header = append(header, s[:1]+strings.ToLower(s[1:]))
	}
	header = append(header, "Secrets", "Misconfig")
	// Licences have a column when the licence scanner ran.
	licences := slices.Contains(opts.Scanners, scannerLicense)
	if licences {
		header = append(header, "Licenses")
	}
	header = append(header, "Result")
	misconf := map[string]int{}
	for _, res := range r.Misconfigurations {
		for _, m := range res.Misconfigurations {
			// A Dockerfile several services build from names them all.
			for _, name := range strings.Split(m.Service, ",") {
				misconf[name]++
			}
		}
	}
	t := table{header: header}
	for _, name := range services {
		s := r.Services[name]
		row := []string{name, s.Image}
		switch {
		case s.Missing != "":
			row = append(row, "not found")
		case s.Error != "":
			row = append(row, "error")
		default:
			row = append(row, shortID(s.ImageID))
		}
		for _, sev := range summarySeverities {
			row = append(row, count(s.Missing == "" && s.Error == "", s.Vulnerabilities[sev]))
		}
		row = append(row, count(s.Missing == "" && s.Error == "", s.Secrets), strconv.Itoa(misconf[name]))
		if licences {
			row = append(row, count(s.Missing == "" && s.Error == "", s.Licenses))
		}
		status := "pass"
		switch {
		case !s.Pass && s.Missing != "":
			status = "FAIL (missing)"
		case !s.Pass:
			status = "FAIL"
		case s.Missing != "":
			status = "missing"
		}
		t.rows = append(t.rows, append(row, status))
	}
	if err := t.write(w); err != nil {
		return err
	}
	for _, name := range services {
		s := r.Services[name]
		switch {
		case s.Missing != "":
			fmt.Fprintf(w, "%s: image %s %s\n", line(name), line(s.Image), line(s.Missing))
		case s.Error != "":
			fmt.Fprintf(w, "%s: scan of %s failed: %s\n", line(name), line(s.Image), line(s.Error))
		}
	}
	for _, res := range r.Misconfigurations {
		if err := misconfigBlock(w, res, opts); err != nil {
			return err
		}
	}
	images := make([]string, 0, len(r.Images))
	for ref := range r.Images {
		images = append(images, ref)
	}
	sort.Strings(images)
	for _, ref := range images {
		var users []string
		for _, name := range services {
			if r.Services[name].Image == ref {
				users = append(users, name)
			}
		}
		fmt.Fprint(w, "\n")
		heading(w, fmt.Sprintf("%s (services: %s)", ref, strings.Join(users, ", ")), "#")
		if err := writeTable(w, r.Images[ref], opts); err != nil {
			return err
		}
	}
	return nil
}

func count(known bool, n int) string {
	if !known {
		return "-"
	}
	return strconv.Itoa(n)
}
