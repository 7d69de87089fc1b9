package types

import (
	"encoding/json"
	"testing"
)

// Relationship is written as Trivy writes it: its name, and left out when
// unknown; names read back, anything else is an error.
func TestRelationshipJSON(t *testing.T) {
	for r, want := range map[Relationship]string{
		RelationshipRoot:      `{"Name":"a","Relationship":"root"}`,
		RelationshipWorkspace: `{"Name":"a","Relationship":"workspace"}`,
		RelationshipDirect:    `{"Name":"a","Relationship":"direct"}`,
		RelationshipIndirect:  `{"Name":"a","Relationship":"indirect"}`,
		RelationshipUnknown:   `{"Name":"a"}`,
	} {
		b, err := json.Marshal(Package{Name: "a", Relationship: r})
		if err != nil || string(b) != want {
			t.Errorf("%v: %s, %v; want %s", r, b, err, want)
		}
		var back Package
		if err := json.Unmarshal(b, &back); err != nil || back.Relationship != r {
			t.Errorf("%s read back as %v, %v", b, back.Relationship, err)
		}
	}
	var p Package
	if err := json.Unmarshal([]byte(`{"Relationship":"sibling"}`), &p); err == nil {
		t.Error("an unknown name was accepted")
	}
	if Relationship(9).String() != "unknown" {
		t.Error("out of range is not unknown")
	}
	b, _ := json.Marshal(Package{Name: "a", Modularitylabel: "m", Indirect: true, Relationship: RelationshipIndirect, DependsOn: []string{"b"}})
	if want := `{"Name":"a","Modularitylabel":"m","Indirect":true,"Relationship":"indirect","DependsOn":["b"]}`; string(b) != want {
		t.Errorf("field order: %s, want %s", b, want)
	}
	b, _ = json.Marshal(Package{Name: "a", Layer: LayerRef{DiffID: "sha256:1"}, FilePath: "f", Digest: "sha1:00", InstalledFiles: []string{"x"}})
	if want := `{"Name":"a","Layer":{"DiffID":"sha256:1"},"FilePath":"f","Digest":"sha1:00","InstalledFiles":["x"]}`; string(b) != want {
		t.Errorf("field order: %s, want %s", b, want)
	}
}
