# A team library: no deny rule, imported by a check.
package user.lib.images

import rego.v1

base_image(stage) := split(stage.Name, " ")[0]
