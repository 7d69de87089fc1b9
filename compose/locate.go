package compose

import (
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// locator finds where a service's settings are written, for reports by
// file and line: compose-go's model keeps no positions, so the files are
// parsed again as YAML nodes.
type locator struct {
	files []string
	docs  []*yaml.Node
}

func newLocator(files []string) *locator {
	l := &locator{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		l.files = append(l.files, f)
		l.docs = append(l.docs, doc.Content[0])
	}
	return l
}

// find returns the key node of services.<service>.<path...> in the last
// file that has it (later files override earlier ones), and that file.
func (l *locator) find(service string, path ...string) (string, *yaml.Node) {
	for i := len(l.docs) - 1; i >= 0; i-- {
		n := child(child(l.docs[i], "services"), service)
		for _, k := range path[:len(path)-1] {
			n = child(n, k)
		}
		if k := key(n, path[len(path)-1]); k != nil {
			return l.files[i], k
		}
	}
	return "", nil
}

// values returns the value nodes of services.<service>.<name> in every
// file that has it, with the files.
func (l *locator) values(service, name string) ([]string, []*yaml.Node) {
	var files []string
	var nodes []*yaml.Node
	for i, d := range l.docs {
		if n := child(child(child(d, "services"), service), name); n != nil {
			files = append(files, l.files[i])
			nodes = append(nodes, n)
		}
	}
	return files, nodes
}

// where is the file and line of services.<service>.<path...>, or of the
// service itself when the setting is not written (a missing user:).
func (l *locator) where(service string, path ...string) (string, int) {
	if len(path) > 0 {
		if f, n := l.find(service, path...); n != nil {
			return f, n.Line
		}
	}
	if f, n := l.findKey(service); n != nil {
		return f, n.Line
	}
	if len(l.files) > 0 {
		return l.files[0], 0
	}
	return "", 0
}

// findKey returns the key node of services.<service>.
func (l *locator) findKey(service string) (string, *yaml.Node) {
	for i := len(l.docs) - 1; i >= 0; i-- {
		if k := key(child(l.docs[i], "services"), service); k != nil {
			return l.files[i], k
		}
	}
	return "", nil
}

func child(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i+1]
		}
	}
	return nil
}

func key(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i]
		}
	}
	return nil
}

// dependsOnWritten tells whether a file lists dep in the service's
// depends_on (short list or long map form).
func (l *locator) dependsOnWritten(service, dep string) bool {
	_, nodes := l.values(service, "depends_on")
	for _, n := range nodes {
		switch n.Kind {
		case yaml.SequenceNode:
			for _, e := range n.Content {
				if e.Value == dep {
					return true
				}
			}
		case yaml.MappingNode:
			if key(n, dep) != nil {
				return true
			}
		}
	}
	return false
}

// item finds the line of the first entry of the list services.<service>.
// <name> that match accepts (given the entry's text: the scalar, or the
// values of a long-form mapping joined by spaces); else the list's line.
func (l *locator) item(service, name string, match func(string) bool) (string, int) {
	for i := len(l.docs) - 1; i >= 0; i-- {
		n := child(child(child(l.docs[i], "services"), service), name)
		if n == nil || n.Kind != yaml.SequenceNode {
			continue
		}
		for _, e := range n.Content {
			text := e.Value
			if e.Kind == yaml.MappingNode {
				var vals []string
				for j := 1; j < len(e.Content); j += 2 {
					vals = append(vals, e.Content[j].Value)
				}
				text = strings.Join(vals, " ")
			}
			if match(text) {
				return l.files[i], e.Line
			}
		}
	}
	return l.where(service, name)
}
