"""ontology-management-service: object types, link types, objects and links of the Arrakis ontology."""
