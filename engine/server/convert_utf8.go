package server

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Protobuf strings must be UTF-8, and proto.Marshal refuses a message
// with one that is not; a tar header may name a file in any bytes. The
// strings of an outgoing message are made valid the way encoding/json
// makes them valid (each invalid byte becomes U+FFFD), so that the wire
// carries exactly what the JSON layer cache would have kept.

// jsonValidUTF8 replaces each byte of s that is not part of a valid UTF-8
// sequence with U+FFFD, as encoding/json does.
func jsonValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// validUTF8 makes every string of m, at any depth, valid UTF-8.
func validUTF8(m protoreflect.Message) {
	type fix struct {
		fd protoreflect.FieldDescriptor
		v  string
	}
	var fixes []fix
	// String lists with a bad entry are replaced by a fixed copy: the
	// message may share its slices with the caller's data.
	var lists []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					if !utf8.ValidString(l.Get(i).String()) {
						lists = append(lists, fd)
						return true
					}
				case protoreflect.MessageKind, protoreflect.GroupKind:
					validUTF8(l.Get(i).Message())
				}
			}
		case fd.IsMap():
			validMapUTF8(fd, v.Map())
		case fd.Kind() == protoreflect.StringKind:
			if s := v.String(); !utf8.ValidString(s) {
				fixes = append(fixes, fix{fd, jsonValidUTF8(s)})
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			validUTF8(v.Message())
		}
		return true
	})
	for _, f := range fixes {
		m.Set(f.fd, protoreflect.ValueOfString(f.v))
	}
	for _, fd := range lists {
		old, fixed := m.Get(fd).List(), m.NewField(fd).List()
		for i := 0; i < old.Len(); i++ {
			fixed.Append(protoreflect.ValueOfString(jsonValidUTF8(old.Get(i).String())))
		}
		m.Set(fd, protoreflect.ValueOfList(fixed))
	}
}

func validMapUTF8(fd protoreflect.FieldDescriptor, mp protoreflect.Map) {
	var badKeys []protoreflect.MapKey
	var badValues []protoreflect.MapKey
	mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(k.String()) {
			badKeys = append(badKeys, k)
		}
		switch fd.MapValue().Kind() {
		case protoreflect.StringKind:
			if !utf8.ValidString(v.String()) {
				badValues = append(badValues, k)
			}
		case protoreflect.MessageKind, protoreflect.GroupKind:
			validUTF8(v.Message())
		}
		return true
	})
	for _, k := range badValues {
		mp.Set(k, protoreflect.ValueOfString(jsonValidUTF8(mp.Get(k).String())))
	}
	for _, k := range badKeys {
		v := mp.Get(k)
		mp.Clear(k)
		mp.Set(protoreflect.ValueOfString(jsonValidUTF8(k.String())).MapKey(), v)
	}
}
