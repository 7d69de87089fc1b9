package detect

import (
	"github.com/docker-scan/docker-scan/engine/db"
	"github.com/docker-scan/docker-scan/engine/types"
)

// redHatLookup finds the advisories of Red Hat and CentOS packages in the
// one "Red Hat" bucket.
//
// TODO(#11): filter entries by the CPEs of the image's content sets.
func redHatLookup(d *db.DB, _ types.Artifact) func(name string) ([]db.Advisory, error) {
	return func(name string) ([]db.Advisory, error) {
		advs, err := d.Advisories("Red Hat", name)
		if err != nil {
			return nil, err
		}
		return flattenEntries(advs), nil
	}
}
