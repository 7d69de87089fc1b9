package compose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker-scan/docker-scan/engine/types"
)

// Runner scans the images of a plan: each distinct image once, up to
// Parallel at a time (the scans share layer analysis through the scan
// options the caller's Scan uses).
type Runner struct {
	// Open finds an image; a *NotFoundError means it does not exist
	// yet.
	Open func(ctx context.Context, ref string) (*types.Image, error)
	// Scan scans an image found by Open.
	Scan func(ctx context.Context, img *types.Image) (*types.Report, error)
	// Fails tells whether a report fails the policy.
	Fails func(*types.Report) bool
	// Parallel bounds the images scanned at once (at least 1).
	Parallel int
	// RequireImages makes a missing image a failure.
	RequireImages bool
	// Now stamps the report; zero means time.Now.
	Now time.Time
}

// imageOutcome is what scanning one distinct image gave.
type imageOutcome struct {
	report  *types.Report
	facts   ImageFacts
	missing string
	err     error
}

// Run scans the plan's images and returns the stack report (without
// misconfigurations) and the facts of each service's image that could be
// read, for the checks.
func (r Runner) Run(ctx context.Context, p *Project, plan []ServiceImage) (*types.StackReport, map[string]ImageFacts, error) {
	images := Images(plan)
	outcomes := make([]imageOutcome, len(images))
	sem := make(chan struct{}, max(r.Parallel, 1))
	var wg sync.WaitGroup
	for i, ref := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				outcomes[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			outcomes[i] = r.scanImage(ctx, ref)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &types.StackReport{
		SchemaVersion: types.SchemaVersion,
		CreatedAt:     now.UTC().Truncate(time.Second),
		ProjectName:   p.Name,
		ConfigFiles:   p.Files,
		Services:      map[string]types.ServiceResult{},
		Images:        map[string]*types.Report{},
	}
	facts := map[string]ImageFacts{}
	for _, s := range plan {
		o := outcomes[slices.Index(images, s.Image)]
		sr := types.ServiceResult{Image: s.Image, Pass: true}
		switch {
		case o.missing != "":
			sr.Missing = o.missing
			sr.Pass = !r.RequireImages
		case o.err != nil:
			sr.Error = o.err.Error()
			sr.Pass = false
		default:
			rep.Images[s.Image] = o.report
			sr.ImageID = o.report.Metadata.ImageID
			sr.Vulnerabilities, sr.Secrets = Counts(o.report)
			sr.Licenses = LicenseCount(o.report)
			sr.Pass = r.Fails == nil || !r.Fails(o.report)
			facts[s.Service] = o.facts
		}
		rep.Services[s.Service] = sr
	}
	return rep, facts, nil
}

func (r Runner) scanImage(ctx context.Context, ref string) imageOutcome {
	img, err := r.Open(ctx, ref)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		slog.Warn("image not found: not built or pulled yet", "image", ref)
		return imageOutcome{missing: "not built or pulled yet (" + strings.Join(nf.Answers, "; ") + ")"}
	}
	if err != nil {
		return imageOutcome{err: err}
	}
	if img.Close != nil {
		defer img.Close()
	}
	var facts ImageFacts
	if img.Config != nil {
		var hc []string
		if img.Config.Config.Healthcheck != nil {
			hc = img.Config.Config.Healthcheck.Test
		}
		facts = Facts(img.Config.Config.User, hc, img.Config.Config.Labels)
	}
	rep, err := r.Scan(ctx, img)
	if err != nil {
		return imageOutcome{err: fmt.Errorf("%s: %w", ref, err)}
	}
	return imageOutcome{report: rep, facts: facts}
}

// LicenseCount is how many licence findings a report has.
func LicenseCount(rep *types.Report) int {
	n := 0
	for _, res := range rep.Results {
		n += len(res.Licenses)
	}
	return n
}

// Counts are a report's vulnerabilities per severity and its secrets.
func Counts(rep *types.Report) (map[string]int, int) {
	vulns := map[string]int{}
	secrets := 0
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			vulns[v.Severity]++
		}
		secrets += len(res.Secrets)
	}
	return vulns, secrets
}
