"""Object type definitions shared by the tests."""

PERSON = {
    "api_name": "Person",
    "display_name": "Person",
    "description": "A human being",
    "title_property": "name",
    "properties": [
        {"name": "name", "type": "string", "required": True},
        {"name": "age", "type": "integer"},
        {"name": "height", "type": "number"},
        {"name": "active", "type": "boolean"},
        {"name": "born", "type": "datetime"},
        {"name": "role", "type": "enum", "values": ["pilot", "mentat", "fremen"]},
        {"name": "bio", "type": "string", "description": "Free text"},
    ],
}
PLANET = {
    "api_name": "Planet",
    "display_name": "Planet",
    "title_property": "name",
    "properties": [{"name": "name", "type": "string", "required": True}],
}
