"""Who may change the ontology's shared schema.

Object types and link types are shared by everyone who stores objects of them, so changing them is not a matter of
ownership: it needs the role ``ontology-editor`` (granted by an admin) or ``admin``. Objects and links are owned by
their creator (see ``arrakis_common.ownership``).
"""

from __future__ import annotations

from arrakis_common.auth import require_roles

SCHEMA_ROLE = "ontology-editor"

# Dependency of every create, change and delete of an object type or a link type.
schema_editor = require_roles(SCHEMA_ROLE)
