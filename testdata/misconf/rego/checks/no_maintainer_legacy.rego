package user.dockerfile.legacy_maintainer

__rego_metadata__ := {
	"id": "ACME-DF-002",
	"title": "MAINTAINER is deprecated",
	"severity": "LOW",
	"description": "The MAINTAINER instruction is deprecated; use a LABEL.",
	"recommended_actions": "Replace MAINTAINER with LABEL maintainer=...",
}

__rego_input__ := {"selector": [{"type": "dockerfile"}]}

deny[msg] {
	some i
	cmd := input.Stages[_].Commands[i]
	cmd.Cmd == "maintainer"
	msg := sprintf("MAINTAINER %s", [concat(" ", cmd.Value)])
}
