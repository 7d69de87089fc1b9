package misconf

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// regoMetadata is what a custom check says about itself, read as Trivy
// reads it: the METADATA block of the package (title, description,
// related_resources, custom: id, avd_id, severity, recommended_actions,
// aliases, library, input.selector), or for older checks the
// __rego_metadata__ and __rego_input__ rules. Defaults are Trivy's: ID and
// title "N/A", severity UNKNOWN, description "Rego module: <package>".
type regoMetadata struct {
	id, avdID, title, description, resolution, severity string
	aliases, references                                 []string
	library                                             bool
	// selectorTypes are the input.selector types; none means every input.
	selectorTypes []string
}

func (m *regoMetadata) appliesToDockerfile() bool {
	for _, t := range m.selectorTypes {
		if t != TypeDockerfile {
			return false
		}
	}
	return true
}

func defaultRegoMetadata(mod *ast.Module) *regoMetadata {
	return &regoMetadata{
		id:          "N/A",
		title:       "N/A",
		severity:    "UNKNOWN",
		description: "Rego module: " + mod.Package.Path.String(),
	}
}

// metadataFromAnnotations reads the package's METADATA block; nil when
// there is none.
func metadataFromAnnotations(mod *ast.Module) *regoMetadata {
	for _, a := range mod.Annotations {
		if a.Scope != "package" {
			continue
		}
		meta := defaultRegoMetadata(mod)
		meta.title = a.Title
		meta.description = a.Description
		for _, r := range a.RelatedResources {
			if r != nil && r.Ref.IsAbs() {
				meta.references = append(meta.references, r.Ref.String())
			}
		}
		meta.fill(a.Custom)
		return meta
	}
	return nil
}

// moduleMetadata is the module's metadata from its annotations, else from
// its legacy rules, evaluated without input.
func moduleMetadata(ctx context.Context, c *ast.Compiler, store storage.Store, mod *ast.Module) (*regoMetadata, error) {
	if meta := metadataFromAnnotations(mod); meta != nil {
		return meta, nil
	}
	meta := defaultRegoMetadata(mod)
	if !hasRule(mod, "__rego_metadata__") && !hasRule(mod, "__rego_input__") {
		return meta, nil
	}
	if v, err := evalLegacyRule(ctx, c, store, mod, "__rego_metadata__"); err != nil {
		return nil, err
	} else if v != nil {
		meta.fill(v)
	}
	if v, err := evalLegacyRule(ctx, c, store, mod, "__rego_input__"); err != nil {
		return nil, err
	} else if v != nil {
		meta.selectorTypes = selectorTypes(v)
	}
	return meta, nil
}

func hasRule(mod *ast.Module, name string) bool {
	for _, r := range mod.Rules {
		if r.Head.Name.String() == name {
			return true
		}
	}
	return false
}

func evalLegacyRule(ctx context.Context, c *ast.Compiler, store storage.Store, mod *ast.Module, rule string) (map[string]any, error) {
	rs, err := rego.New(append(regoBuiltinImpls(),
		rego.Compiler(c),
		rego.Store(store),
		rego.Query(mod.Package.Path.String()+"."+rule),
	)...).Eval(ctx)
	if err != nil {
		return nil, oneLineRegoError(err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, nil
	}
	v, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", rule)
	}
	return v, nil
}

// fill applies the custom fields Trivy reads.
func (m *regoMetadata) fill(custom map[string]any) {
	str := func(key string, dst *string) {
		if v, ok := custom[key]; ok && v != nil {
			*dst = fmt.Sprint(v)
		}
	}
	str("id", &m.id)
	str("avd_id", &m.avdID)
	str("title", &m.title)
	str("description", &m.description)
	str("recommended_actions", &m.resolution)
	str("recommended_action", &m.resolution)
	if v, ok := custom["severity"]; ok && v != nil {
		m.severity = strings.ToUpper(fmt.Sprint(v))
	}
	if v, ok := custom["library"].(bool); ok {
		m.library = v
	}
	if v, ok := custom["url"]; ok && v != nil {
		m.references = append(m.references, fmt.Sprint(v))
	}
	if list, ok := custom["aliases"].([]any); ok {
		for _, a := range list {
			m.aliases = append(m.aliases, fmt.Sprint(a))
		}
	}
	if input, ok := custom["input"].(map[string]any); ok {
		m.selectorTypes = selectorTypes(input)
	}
}

// selectorTypes reads input.selector[].type; Trivy's old name for cloud
// ("defsec") is kept as is: it is not a Dockerfile either way.
func selectorTypes(input map[string]any) []string {
	list, ok := input["selector"].([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range list {
		if sel, ok := s.(map[string]any); ok {
			out = append(out, fmt.Sprint(sel["type"]))
		}
	}
	return out
}
