"""The HTTP API of ontology-management-service on SQLite and PostgreSQL (events off)."""

from __future__ import annotations

import copy

import pytest
from ontology_samples import PERSON, PLANET


@pytest.fixture()
def client(make_client, database_url):
    with make_client(database_url, events_enabled=False) as client:
        yield client


def create_person(client, editor, **properties) -> dict:
    response = client.post("/objects", json={"object_type": "Person", "properties": properties}, headers=editor)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture()
def people(client, editor) -> dict[str, dict]:
    assert client.post("/object-types", json=PERSON, headers=editor).status_code == 201
    return {
        "ada": create_person(client, editor, name="Ada Lovelace", age=36, active=True, role="mentat",
                             bio="Wrote the first program", born="1815-12-10T00:00:00Z", height=1.65),
        "paul": create_person(client, editor, name="Paul Atreides", age=15, active=True, role="fremen"),
        "duncan": create_person(client, editor, name="Duncan Idaho", age=36, active=False, role="pilot"),
    }


def test_object_type_create_get_list_and_errors(client, editor, viewer, auth_header):
    created = client.post("/object-types", json=PERSON, headers=editor)
    assert created.status_code == 201
    body = created.json()
    assert body["api_name"] == "Person" and body["version"] == 1 and body["created_by"] == "ed"
    assert [p["name"] for p in body["properties"]] == [p["name"] for p in PERSON["properties"]]
    assert client.post("/object-types", json=PERSON, headers=editor).status_code == 409
    assert client.get("/object-types/Person", headers=viewer).json()["title_property"] == "name"
    assert client.get("/object-types/Nope", headers=viewer).status_code == 404
    client.post("/object-types", json=PLANET, headers=auth_header("boss", "admin"))
    listing = client.get("/object-types", params={"limit": 1}, headers=viewer).json()
    assert listing["total"] == 2 and [t["api_name"] for t in listing["items"]] == ["Person"]
    assert client.get("/object-types", params={"limit": 1, "offset": 1}, headers=viewer).json()["items"][0][
        "api_name"] == "Planet"
    assert client.post("/object-types", json={**PLANET, "api_name": "Moon"}, headers=viewer).status_code == 403
    assert client.post("/object-types", json={**PLANET, "api_name": "Moon"}).status_code == 401
    assert client.get("/object-types").status_code == 401


@pytest.mark.parametrize("change", [
    {"title_property": "missing"},
    {"api_name": "bad name"},
    {"properties": [{"name": "x", "type": "enum"}], "title_property": "x"},
    {"properties": [{"name": "x", "type": "string", "values": ["a"]}], "title_property": "x"},
    {"properties": [{"name": "x", "type": "colour"}], "title_property": "x"},
    {"properties": [{"name": "x", "type": "string"}, {"name": "x", "type": "integer"}], "title_property": "x"},
    {"properties": []},
])
def test_invalid_object_type_definitions_are_422(client, editor, change):
    response = client.post("/object-types", json={**PLANET, **change}, headers=editor)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_update_increments_version_and_keeps_history(client, editor, viewer):
    client.post("/object-types", json=PERSON, headers=editor)
    changed = copy.deepcopy(PERSON)
    del changed["api_name"]
    changed["display_name"] = "Human"
    changed["properties"].append({"name": "house", "type": "string"})
    response = client.put("/object-types/Person", json=changed, headers=editor)
    assert response.status_code == 200 and response.json()["version"] == 2
    changed["display_name"] = "Being"
    assert client.put("/object-types/Person", json=changed, headers=editor).json()["version"] == 3
    versions = client.get("/object-types/Person/versions", headers=viewer).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["definition"]["display_name"] == "Person"
    assert "house" not in [p["name"] for p in versions[0]["definition"]["properties"]]
    assert versions[1]["definition"]["display_name"] == "Human" and versions[1]["valid_until"] is not None
    assert versions[2]["definition"]["display_name"] == "Being" and versions[2]["valid_until"] is None
    assert client.put("/object-types/Nope", json=changed, headers=editor).status_code == 404
    assert client.put("/object-types/Person", json={**changed, "title_property": "zz"}, headers=editor
                      ).status_code == 422
    assert client.put("/object-types/Person", json=changed, headers=viewer).status_code == 403
    assert client.get("/object-types/Nope/versions", headers=viewer).status_code == 404


def test_changing_the_title_property_retitles_objects(client, editor, viewer, people):
    changed = {k: v for k, v in PERSON.items() if k != "api_name"}
    assert client.put("/object-types/Person", json={**changed, "title_property": "role"}, headers=editor
                      ).status_code == 200
    assert client.get(f"/objects/{people['ada']['id']}", headers=viewer).json()["title"] == "mentat"


def test_objects_are_validated_per_field(client, editor, people):
    ada = people["ada"]
    assert ada["title"] == "Ada Lovelace" and ada["version"] == 1 and ada["object_type"] == "Person"
    assert ada["properties"]["born"].startswith("1815-12-10T00:00:00")
    bad = client.post("/objects", json={"object_type": "Person", "properties": {
        "age": "old", "active": "yes", "role": "emperor", "height": "tall", "born": "yesterday", "colour": "red",
    }}, headers=editor)
    assert bad.status_code == 422
    fields = {tuple(e["loc"]) for e in bad.json()["detail"]}
    assert fields == {("body", "properties", name) for name in
                      ("name", "age", "active", "role", "height", "born", "colour")}
    assert client.post("/objects", json={"object_type": "Person", "properties": {"name": "X", "age": True}},
                       headers=editor).status_code == 422
    assert client.post("/objects", json={"object_type": "Person", "properties": {"name": "X", "age": 1.5}},
                       headers=editor).status_code == 422
    for past_64_bits in (2**63, -(2**63) - 1, 10**40):
        assert client.post("/objects", json={"object_type": "Person", "properties": {"name": "X", "age": past_64_bits}},
                           headers=editor).status_code == 422
    assert client.post("/objects", json={"object_type": "Nope", "properties": {}}, headers=editor).status_code == 404
    number = create_person(client, editor, name="Int height", height=2)
    assert number["properties"]["height"] == 2


def test_listing_filters_and_pagination(client, editor, viewer, people):
    def names(**params) -> list[str]:
        response = client.get("/objects", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return sorted(o["title"] for o in response.json()["items"])

    assert names(object_type="Person") == ["Ada Lovelace", "Duncan Idaho", "Paul Atreides"]
    assert names(object_type="Person", **{"property.name": "Ada Lovelace"}) == ["Ada Lovelace"]
    assert names(object_type="Person", **{"property.age": "36"}) == ["Ada Lovelace", "Duncan Idaho"]
    assert names(object_type="Person", **{"property.age": "36", "property.active": "true"}) == ["Ada Lovelace"]
    assert names(object_type="Person", **{"property.height": "1.65"}) == ["Ada Lovelace"]
    assert names(object_type="Person", **{"property.born": "1815-12-10T00:00:00+00:00"}) == ["Ada Lovelace"]
    assert names(**{"property.role": "fremen"}) == ["Paul Atreides"]
    assert names(q="ATREI") == ["Paul Atreides"]
    assert names(q="program") == ["Ada Lovelace"]
    assert names(q="50%_") == []
    page = client.get("/objects", params={"limit": 2, "offset": 2}, headers=viewer).json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["offset"] == 2
    assert client.get("/objects", params={"object_type": "Person", "property.colour": "red"},
                      headers=viewer).status_code == 422
    assert client.get("/objects", params={"object_type": "Person", "property.age": "old"},
                      headers=viewer).status_code == 422
    assert client.get("/objects", params={"object_type": "Nope"}, headers=viewer).status_code == 404
    assert client.get("/objects", params={"limit": 0}, headers=viewer).status_code == 422


def test_object_get_replace_delete(client, editor, viewer, people):
    ada = people["ada"]
    assert client.get(f"/objects/{ada['id']}", headers=viewer).json()["properties"]["age"] == 36
    assert client.get("/objects/unknown", headers=viewer).status_code == 404
    replaced = client.put(f"/objects/{ada['id']}", json={"properties": {"name": "Ada King", "age": 37}},
                          headers=editor)
    assert replaced.status_code == 200
    assert replaced.json()["version"] == 2 and replaced.json()["title"] == "Ada King"
    assert replaced.json()["properties"] == {"name": "Ada King", "age": 37}
    filtered = client.get("/objects", params={"property.age": "37"}, headers=viewer).json()["items"]
    assert [o["id"] for o in filtered] == [ada["id"]]
    assert client.get("/objects", params={"property.role": "mentat"}, headers=viewer).json()["total"] == 0
    assert client.put(f"/objects/{ada['id']}", json={"properties": {"age": 1}}, headers=editor).status_code == 422
    assert client.put(f"/objects/{ada['id']}", json={"properties": {"name": "A"}}, headers=viewer).status_code == 403
    assert client.delete(f"/objects/{ada['id']}", headers=viewer).status_code == 403
    assert client.delete(f"/objects/{ada['id']}", headers=editor).status_code == 204
    assert client.get(f"/objects/{ada['id']}", headers=viewer).status_code == 404
    assert client.delete(f"/objects/{ada['id']}", headers=editor).status_code == 404


def test_deleting_a_type_with_objects_is_409(client, editor, viewer, people):
    assert client.delete("/object-types/Person", headers=editor).status_code == 409
    for obj in people.values():
        assert client.delete(f"/objects/{obj['id']}", headers=editor).status_code == 204
    assert client.delete("/object-types/Person", headers=viewer).status_code == 403
    assert client.delete("/object-types/Person", headers=editor).status_code == 204
    assert client.get("/object-types/Person", headers=viewer).status_code == 404
    assert client.delete("/object-types/Person", headers=editor).status_code == 404


def test_link_types_and_links_respect_types_and_cardinality(client, editor, viewer, people):
    client.post("/object-types", json=PLANET, headers=editor)
    arrakis = client.post("/objects", json={"object_type": "Planet", "properties": {"name": "Arrakis"}},
                          headers=editor).json()
    caladan = client.post("/objects", json={"object_type": "Planet", "properties": {"name": "Caladan"}},
                          headers=editor).json()
    lives_on = {"api_name": "LivesOn", "display_name": "lives on", "source_object_type": "Person",
                "target_object_type": "Planet", "cardinality": "many-to-many"}
    created = client.post("/link-types", json=lives_on, headers=editor)
    assert created.status_code == 201 and created.json()["source_object_type"] == "Person"
    assert client.post("/link-types", json=lives_on, headers=editor).status_code == 409
    assert client.post("/link-types", json={**lives_on, "api_name": "X", "target_object_type": "Nope"},
                       headers=editor).status_code == 404
    assert client.post("/link-types", json={**lives_on, "api_name": "X", "cardinality": "some"},
                       headers=editor).status_code == 422
    assert client.post("/link-types", json={**lives_on, "api_name": "X"}, headers=viewer).status_code == 403
    assert client.get("/link-types/LivesOn", headers=viewer).json()["cardinality"] == "many-to-many"
    assert client.get("/link-types", headers=viewer).json()["total"] == 1
    assert client.get("/link-types/Nope", headers=viewer).status_code == 404

    def link(source: str, target: str, link_type: str = "LivesOn"):
        return client.post("/links", json={"link_type": link_type, "source_object_id": source,
                                           "target_object_id": target}, headers=editor)

    paul, duncan, ada = people["paul"]["id"], people["duncan"]["id"], people["ada"]["id"]
    assert link(paul, arrakis["id"]).status_code == 201
    assert link(paul, caladan["id"]).status_code == 201
    assert link(duncan, arrakis["id"]).status_code == 201
    assert link(paul, arrakis["id"]).status_code == 409
    wrong = link(arrakis["id"], paul)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "source_object_id"]
    assert link(paul, "missing").status_code == 404
    assert link(paul, arrakis["id"], "Nope").status_code == 404

    # Paul lives on two planets and Arrakis has two inhabitants: neither one-to-many nor one-to-one fits.
    narrowed = client.put("/link-types/LivesOn", json={"display_name": "lives on", "cardinality": "one-to-one"},
                          headers=editor)
    assert narrowed.status_code == 409
    widened = client.put("/link-types/LivesOn", json={"display_name": "resides on", "cardinality": "many-to-many"},
                         headers=editor)
    assert widened.status_code == 200 and widened.json()["version"] == 2

    client.post("/link-types", json={**lives_on, "api_name": "RulesOne", "cardinality": "one-to-one"},
                headers=editor)
    assert link(paul, arrakis["id"], "RulesOne").status_code == 201
    assert link(paul, caladan["id"], "RulesOne").status_code == 409
    assert link(ada, arrakis["id"], "RulesOne").status_code == 409
    client.post("/link-types", json={**lives_on, "api_name": "Owns", "cardinality": "one-to-many"}, headers=editor)
    assert link(paul, arrakis["id"], "Owns").status_code == 201
    assert link(paul, caladan["id"], "Owns").status_code == 201
    assert link(duncan, arrakis["id"], "Owns").status_code == 409

    of_paul = client.get("/links", params={"object_id": paul}, headers=viewer).json()
    assert of_paul["total"] == 5
    of_type = client.get("/links", params={"link_type": "LivesOn", "limit": 2}, headers=viewer).json()
    assert of_type["total"] == 3 and len(of_type["items"]) == 2
    one = of_type["items"][0]
    assert client.get(f"/links/{one['id']}", headers=viewer).json() == one
    assert client.get("/links/missing", headers=viewer).status_code == 404

    assert client.delete("/link-types/RulesOne", headers=editor).status_code == 409
    assert client.delete(f"/links/{one['id']}", headers=viewer).status_code == 403
    assert client.delete(f"/links/{one['id']}", headers=editor).status_code == 204
    assert client.get(f"/links/{one['id']}", headers=viewer).status_code == 404
    assert client.delete("/object-types/Planet", headers=editor).status_code == 409

    # Deleting an object takes its links with it.
    assert client.delete(f"/objects/{paul}", headers=editor).status_code == 204
    assert client.get("/links", params={"object_id": paul}, headers=viewer).json()["total"] == 0
    assert client.delete("/link-types/RulesOne", headers=editor).status_code == 204
    assert client.get("/link-types/RulesOne", headers=viewer).status_code == 404


def test_oversized_body_is_413(make_client, tmp_path, editor):
    with make_client(f"sqlite:///{tmp_path / 'big.db'}", events_enabled=False, max_body_bytes=2000) as client:
        big = {**PLANET, "description": "x" * 5000}
        assert client.post("/object-types", json=big, headers=editor).status_code == 413


OBJECT_CHANGES = [
    ("PUT", {"properties": {"name": "Ada Byron", "age": 37}}, 200),
    ("DELETE", None, 204),
]


@pytest.mark.parametrize(("method", "body", "ok_status"), OBJECT_CHANGES, ids=[c[0] for c in OBJECT_CHANGES])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_only_the_owner_or_an_admin_changes_an_object(client, editor, auth_header, people, caller, method, body,
                                                      ok_status):
    ada = people["ada"]  # created by the editor fixture's account
    headers = {"owner": editor, "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, f"/objects/{ada['id']}", headers=headers[caller], **kwargs)
    if caller == "other-editor":
        # Objects are visible to every signed-in user: the refusal is 403 and the object is unchanged.
        assert response.status_code == 403, response.text
        assert client.get(f"/objects/{ada['id']}", headers=editor).json()["version"] == ada["version"]
    else:
        assert response.status_code == ok_status, response.text


LIVES_ON = {"api_name": "LivesOn", "display_name": "lives on", "source_object_type": "Person",
            "target_object_type": "Planet", "cardinality": "many-to-many"}
PLANET_CHANGE = {k: v for k, v in PLANET.items() if k != "api_name"} | {"display_name": "World"}
# (resource, method, path, body, status when allowed): every change of the shared schema.
SCHEMA_CHANGES = [
    ("object-type", "POST", "/object-types", {**PLANET, "api_name": "Moon"}, 201),
    ("object-type", "PUT", "/object-types/Planet", PLANET_CHANGE, 200),
    ("object-type", "DELETE", "/object-types/Planet", None, 204),
    ("link-type", "POST", "/link-types", {**LIVES_ON, "api_name": "Orbits"}, 201),
    ("link-type", "PUT", "/link-types/LivesOn", {"display_name": "resides", "cardinality": "one-to-many"}, 200),
    ("link-type", "DELETE", "/link-types/LivesOn", None, 204),
]


@pytest.mark.parametrize(("resource", "method", "path", "body", "ok_status"), SCHEMA_CHANGES,
                         ids=[f"{c[0]}-{c[1]}" for c in SCHEMA_CHANGES])
@pytest.mark.parametrize("caller", ["editor", "viewer", "other-schema-editor", "admin"])
def test_only_the_schema_role_or_an_admin_changes_shared_types(client, editor, auth_header, caller, resource,
                                                               method, path, body, ok_status):
    # The editor fixture holds ontology-editor; the types are hers, but they are shared: no ownership applies.
    for object_type in (PERSON, PLANET):
        assert client.post("/object-types", json=object_type, headers=editor).status_code == 201
    if resource == "link-type":
        assert client.post("/link-types", json=LIVES_ON, headers=editor).status_code == 201
    headers = {"editor": auth_header("mallory", "editor", "viewer"), "viewer": auth_header("vi", "viewer"),
               "other-schema-editor": auth_header("sam", "ontology-editor"),
               "admin": auth_header("root", "admin")}[caller]
    before = client.get(f"/{resource}s", headers=editor).json()["items"]
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, path, headers=headers, **kwargs)
    if caller in ("editor", "viewer"):
        # Types are visible to everyone, so the refusal is 403 and nothing changed.
        assert response.status_code == 403, response.text
        assert "ontology-editor" in response.json()["detail"]
        assert client.get(f"/{resource}s", headers=editor).json()["items"] == before
    else:
        assert response.status_code == ok_status, response.text


@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_only_the_owner_or_an_admin_deletes_a_link(client, editor, auth_header, people, caller):
    assert client.post("/object-types", json=PLANET, headers=editor).status_code == 201
    assert client.post("/link-types", json=LIVES_ON, headers=editor).status_code == 201
    arrakis = client.post("/objects", json={"object_type": "Planet", "properties": {"name": "Arrakis"}},
                          headers=editor).json()
    link = client.post("/links", json={"link_type": "LivesOn", "source_object_id": people["paul"]["id"],
                                       "target_object_id": arrakis["id"]}, headers=editor)
    assert link.status_code == 201 and link.json()["created_by"] == "ed"
    headers = {"owner": editor, "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}[caller]
    response = client.delete(f"/links/{link.json()['id']}", headers=headers)
    still_there = client.get(f"/links/{link.json()['id']}", headers=editor).status_code == 200
    if caller == "other-editor":
        # Links are visible to every signed-in user: 403, and the link stays.
        assert response.status_code == 403, response.text
        assert still_there
    else:
        assert response.status_code == 204, response.text
        assert not still_there
