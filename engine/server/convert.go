package server

// The mapping between Trivy's wire messages (engine/server/rpc) and the
// engine's one domain model (engine/types). Nothing else in the code base
// converts between the two; convert_*.go hold one direction pair each.
//
// What the wire has a field for travels in that field, filled the way a
// Trivy client or server fills it, so that either side can be Trivy.
// What it has no field for travels in one custom resource of our own type
// per message (LayerExtrasType, ResultExtrasType), as JSON inside a
// google.protobuf.Value: a Trivy peer stores and returns it untouched.

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/docker-scan/docker-scan/engine/server/rpc/common"
	"github.com/docker-scan/docker-scan/engine/types"
)

// Custom resource types of the details the wire has no field for.
const (
	// LayerExtrasType is the custom resource of a BlobInfo holding what a
	// LayerResult has beyond BlobInfo's fields.
	LayerExtrasType = "docker-scan/layer"
	// ResultExtrasType is the custom resource of a scan Result holding
	// what a types.Result has beyond the wire Result's fields.
	ResultExtrasType = "docker-scan/result"
)

// The schema versions Trivy v0.74 writes in BlobInfo and ArtifactInfo. A
// Trivy server treats a cached blob of another version as missing.
const (
	TrivyBlobSchemaVersion     = 2
	TrivyArtifactSchemaVersion = 1
)

// Bounds on what one message from the network may hold. They are far
// above what a real image gives and keep a hostile message from costing
// more than its own size in work.
const (
	// maxWireItems caps the repeated elements of one message, all lists
	// together (packages, files, findings, lines, strings).
	maxWireItems = 1 << 22
	// maxWirePath caps the length of a file path.
	maxWirePath = 4096
	// maxWireExtras caps the JSON of one extras resource.
	maxWireExtras = 256 << 20
)

// wireBudget counts what a conversion from the wire has taken of its
// bounds.
type wireBudget struct{ items int }

func (b *wireBudget) take(n int, what string) error {
	if n < 0 || n > maxWireItems-b.items {
		return fmt.Errorf("too many %s: the message holds more than %d items", what, maxWireItems)
	}
	b.items += n
	return nil
}

func checkWirePath(p, what string) error {
	if len(p) > maxWirePath {
		return fmt.Errorf("%s is %d bytes long, over the limit of %d", what, len(p), maxWirePath)
	}
	return nil
}

// checkWireInt reads a non-negative int32 field.
func checkWireInt(n int32, what string) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("%s is negative (%d)", what, n)
	}
	return int(n), nil
}

// clampInt32 writes an int as an int32 field; the few values that do not
// fit travel in the extras as well.
func clampInt32(n int) int32 {
	switch {
	case n > math.MaxInt32:
		return math.MaxInt32
	case n < math.MinInt32:
		return math.MinInt32
	}
	return int32(n)
}

func fitsInt32(n int) bool { return n >= math.MinInt32 && n <= math.MaxInt32 }

func layerRefToWire(l types.LayerRef) *common.Layer {
	if l == (types.LayerRef{}) {
		return nil
	}
	return &common.Layer{Digest: l.Digest, DiffId: l.DiffID, CreatedBy: l.CreatedBy}
}

func layerRefFromWire(l *common.Layer) types.LayerRef {
	return types.LayerRef{Digest: l.GetDigest(), DiffID: l.GetDiffId(), CreatedBy: l.GetCreatedBy()}
}

func severityToWire(name string) common.Severity {
	s, err := types.ParseSeverity(name)
	if err != nil {
		return common.Severity_UNKNOWN
	}
	return common.Severity(s)
}

// severityFromWire names a wire severity; values past CRITICAL (an open
// enum lets a peer send any number) are UNKNOWN.
func severityFromWire(s common.Severity) types.Severity {
	if s < common.Severity_UNKNOWN || s > common.Severity_CRITICAL {
		return types.SeverityUnknown
	}
	return types.Severity(s)
}

// severityRoundTrips reports whether a severity name comes back from the
// wire's enum unchanged.
func severityRoundTrips(name string) bool {
	return severityFromWire(severityToWire(name)).String() == name
}

func timeToWire(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func timeFromWire(t *timestamppb.Timestamp, what string) (*time.Time, error) {
	if t == nil {
		return nil, nil
	}
	if err := t.CheckValid(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	v := t.AsTime()
	return &v, nil
}

// extrasToWire puts one of our extras structs in a Value, as the JSON
// object it marshals to.
func extrasToWire(v any) (*structpb.Value, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	return structpb.NewValue(generic)
}

// extrasFromWire reads one of our extras structs back from a Value.
func extrasFromWire(v *structpb.Value, into any) error {
	if v == nil {
		return fmt.Errorf("no data")
	}
	raw, err := protojson.Marshal(v)
	if err != nil {
		return err
	}
	if len(raw) > maxWireExtras {
		return fmt.Errorf("%d bytes, over the limit of %d", len(raw), maxWireExtras)
	}
	return json.Unmarshal(raw, into)
}
