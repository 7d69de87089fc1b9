# METADATA
# title: Deployments are not allowed
# schemas:
#   - input: schema["kubernetes"]
# custom:
#   id: K8S-1
#   severity: LOW
#   input:
#     selector:
#       - type: kubernetes
package user.kubernetes.no_deployments

import rego.v1

deny contains res if {
	input.kind == "Deployment"
	res := result.new("deployments are not allowed", input.metadata)
	cidr.is_public(input.spec.cidr)
}
