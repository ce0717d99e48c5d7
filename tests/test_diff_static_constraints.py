"""Pydantic and FastAPI constraints read without importing the code: every form (``Field``/``Query`` keywords,
``constr``/``conint``/``confloat``/``conlist``, ``Annotated[..., Field(...)]``, ``StringConstraints``,
``annotated_types`` markers) lands in the ``--static-only`` OpenAPI and event schemas, so tightening any of them
between two commits is a finding of the diff in static mode."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner

from arrakis_docs.cli import main

GIT = ["git", "-c", "user.email=diff@example.invalid", "-c", "user.name=diff", "-c", "commit.gpgsign=false"]

APP = '''import nats
from typing import Annotated

from annotated_types import Ge, Interval, Len, MaxLen
from fastapi import FastAPI, Query
from pydantic import BaseModel, Field, StringConstraints, confloat, conint, conlist, constr

app = FastAPI(title="Shop", version="1.0.0")


class ItemAdded(BaseModel):
    """An item was added."""

    name: str = Field(max_length={name})
    count: Annotated[int, Field(ge={count})]
    code: constr(min_length={code})
    score: Annotated[float, Interval(gt=0, le={score})]
    tags: conlist(str, max_length={tags})
    note: Annotated[str, StringConstraints(max_length={note})] | None = None
    step: int = Field(default=5, multiple_of={step})


@app.get("/v1/items")
async def list_items(
    q: str = Query("", min_length={q}),
    limit: int = Query(10, le={limit}),
    page: Annotated[int, Query(ge={page})] = 1,
    sku: Annotated[str, StringConstraints(max_length={sku})] = "a",
    tag: constr(max_length={tag}) = "a",
    offset: conint(gt={offset}) = 1,
    ratio: confloat(lt={ratio}) = 0.1,
    size: Annotated[int, Ge({size})] = 1,
    label: Annotated[str, MaxLen({label})] = "a",
    code: Annotated[str, Len({code_min}, 10)] = "abc",
    slug: str = Query("a", pattern="{slug}"),
    old: str = Query("a", regex="{old}"),
) -> list[dict]:
    nc = await nats.connect("nats://127.0.0.1:4222")
    event = ItemAdded(name="a", count=1, code="a", score=1, tags=[])
    await nc.publish("shop.items.added", event.model_dump_json().encode())
    return []
'''
LOOSE = {"name": 10, "count": 0, "code": 1, "score": 10, "tags": 5, "note": 10, "step": 5, "q": 1, "limit": 100,
         "page": 0, "sku": 10, "tag": 10, "offset": 0, "ratio": 10.0, "size": 0, "label": 10, "code_min": 1,
         "slug": "^[a-z]+$", "old": "^[a-z]+$"}
TIGHT = {"name": 5, "count": 1, "code": 2, "score": 5, "tags": 3, "note": 5, "step": 5, "q": 2, "limit": 50,
         "page": 1, "sku": 5, "tag": 5, "offset": 1, "ratio": 5.0, "size": 1, "label": 5, "code_min": 2,
         "slug": "^[a-z]{1,8}$", "old": "^[a-z]{1,8}$"}


def _commit(repo: Path, values: dict[str, object], message: str) -> None:
    (repo / "services" / "shop" / "shop" / "app.py").write_text(APP.format(**values), encoding="utf-8")
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True, capture_output=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", message], check=True, capture_output=True)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "shop-platform"
    package = repo / "services" / "shop" / "shop"
    package.mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "shop-platform"\nversion = "0.1.0"\n', encoding="utf-8")
    (repo / ".gitignore").write_text(".arrakis-cache/\n", encoding="utf-8")
    (repo / "services" / "shop" / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "1.0.0"\ndependencies = ["fastapi", "nats-py", "pydantic"]\n',
        encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    _commit(repo, LOOSE, "base")
    return repo


def test_static_spec_carries_every_constraint_form(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = CliRunner().invoke(main, ["model", "--static-only", "--json", "--repo", str(repo), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    model = json.loads(result.output)
    document = next(a for a in model["apis"] if a["service"] == "shop" and a["kind"] == "openapi")["document"]
    schemas = {p["name"]: p["schema"] for p in document["paths"]["/v1/items"]["get"]["parameters"]}
    assert schemas == {
        "q": {"type": "string", "minLength": 1}, "limit": {"type": "integer", "maximum": 100},
        "page": {"type": "integer", "minimum": 0}, "sku": {"type": "string", "maxLength": 10},
        "tag": {"type": "string", "maxLength": 10}, "offset": {"type": "integer", "exclusiveMinimum": 0},
        "ratio": {"type": "number", "exclusiveMaximum": 10.0}, "size": {"type": "integer", "minimum": 0},
        "label": {"type": "string", "maxLength": 10}, "code": {"type": "string", "minLength": 1, "maxLength": 10},
        "slug": {"type": "string", "pattern": "^[a-z]+$"}, "old": {"type": "string", "pattern": "^[a-z]+$"},
    }
    message = next(m for m in model["events"]["messages"] if m["name"] == "ItemAdded")
    assert message["schema_source"] == "static"
    fields = {k: {key: v for key, v in s.items() if key != "title"} for k, s in message["schema"]["properties"].items()}
    assert fields == {
        "name": {"type": "string", "maxLength": 10}, "count": {"type": "integer", "minimum": 0},
        "code": {"type": "string", "minLength": 1},
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "note": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
        "step": {"type": "integer", "multipleOf": 5},
    }


def test_tightening_each_form_is_a_static_diff_finding(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _commit(repo, TIGHT, "head")
    result = CliRunner().invoke(main, ["diff", "HEAD~1", "HEAD", "--repo", str(repo), "--format",
                                       "json", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["findings"]
    http = {f["message"].split(":", 1)[0].removeprefix("query parameter "): f["id"] for f in found
            if f["family"] == "http"}
    assert http == {
        "q": "request-parameter-min-length-increased", "limit": "request-parameter-max-decreased",
        "page": "request-parameter-min-increased", "sku": "request-parameter-max-length-decreased",
        "tag": "request-parameter-max-length-decreased", "offset": "request-parameter-min-increased",
        "ratio": "request-parameter-max-decreased", "size": "request-parameter-min-increased",
        "label": "request-parameter-max-length-decreased", "code": "request-parameter-min-length-increased",
        "slug": "request-parameter-pattern-changed", "old": "request-parameter-pattern-changed",
    }, found
    assert all(f["severity"] == "breaking" for f in found if f["family"] == "http")
    events = sorted((f["message"].split(":", 1)[0], f["id"]) for f in found if f["family"] == "events")
    assert events == [(name, "event-payload-constraint-tightened")
                      for name in ("code", "count", "name", "note", "score", "tags")], events


# Request and response bodies: models in another module, every constraint form on their fields.
BODY_MODELS = '''from typing import Annotated, NewType, Optional

from annotated_types import Ge, Le, MaxLen, MinLen, MultipleOf
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, confloat, conint, conlist, constr

Contact = Annotated[str, StringConstraints(max_length={contact})]
Ref = NewType("Ref", int)


class Line(BaseModel):
    sku: constr(min_length=2, max_length={sku}, pattern="^[A-Z]+$")
    qty: conint(ge=1, le={qty})


class Order(BaseModel):
    """An order."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length={name})
    count: Annotated[int, Field(ge={count}, le=100)]
    price: confloat(gt=0, lt={price})
    step: int = Field(5, multiple_of={step})
    code: Annotated[str, MinLen({code}), MaxLen(8)]
    level: Annotated[int, Ge(1), Le({level}), MultipleOf(3)] = 3
    note: Optional[str] = Field(None, max_length={note})
    tags: conlist(str, max_length={tags}) = []
    lines: list[Line] = []
    slug: str = Field("a", pattern="{slug}")
    contact: Contact | None = None
    gift: StrictBool = False
    ref: Ref = 1


class Receipt(BaseModel):
    id: int = Field(gt=0)
    total: float = Field(le={total})
    order: Order
'''
BODY_APP = '''from fastapi import FastAPI

from shop.models import Order, Receipt

app = FastAPI(title="Shop", version="1.0.0")


@app.post("/v1/orders", response_model=Receipt)
async def create_order(order: Order):
    return {{}}


@app.get("/v1/orders/{{order_id}}")
async def get_order(order_id: int) -> Receipt:
    return {{}}
'''
BODY_LOOSE = {"sku": 12, "qty": 99, "name": 10, "count": 0, "price": 1000, "step": 5, "code": 2, "level": 9,
              "note": 20, "tags": 5, "slug": "^[a-z]+$", "total": 1e6, "contact": 64}
BODY_TIGHT = {"sku": 8, "qty": 50, "name": 5, "count": 1, "price": 500, "step": 4, "code": 3, "level": 6,
              "note": 10, "tags": 3, "slug": "^[a-z]{1,8}$", "total": 1e5, "contact": 32}


def _body_repo(tmp_path: Path, values: dict[str, object]) -> Path:
    repo = _repo(tmp_path)
    package = repo / "services" / "shop" / "shop"
    (package / "models.py").write_text(BODY_MODELS.format(**values), encoding="utf-8")
    (package / "app.py").write_text(BODY_APP.format(), encoding="utf-8")
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True, capture_output=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", "bodies"], check=True, capture_output=True)
    return repo


def _bare(value: object) -> object:
    """A schema without its words (title, description, default), 100.0 read as 100: what a diff judges."""
    if isinstance(value, dict):
        return {k: _bare(v) for k, v in value.items() if k not in ("title", "description", "default")}
    if isinstance(value, list):
        return [_bare(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _openapi(repo: Path, tmp_path: Path, *flags: str) -> tuple[str, dict]:
    result = CliRunner().invoke(main, ["model", *flags, "--json", "--repo", str(repo), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    api = next(a for a in json.loads(result.output)["apis"] if a["service"] == "shop" and a["kind"] == "openapi")
    return api["mode"], api["document"]


def test_static_body_models_match_the_imported_spec(tmp_path: Path) -> None:
    """The --static-only spec describes request and response bodies as app.openapi() does: the same components,
    the same $refs, every field's type, constraints and requiredness."""
    repo = _body_repo(tmp_path, BODY_LOOSE)
    static_mode, static = _openapi(repo, tmp_path, "--static-only")
    import_mode, imported = _openapi(repo, tmp_path)
    assert (static_mode, import_mode) == ("static", "import")
    for name in ("Line", "Order", "Receipt"):
        assert _bare(static["components"]["schemas"][name]) == _bare(imported["components"]["schemas"][name]), name
    order = static["components"]["schemas"]["Order"]
    assert order["properties"]["level"] == {"type": "integer", "minimum": 1, "maximum": 9, "multipleOf": 3,
                                            "title": "Level", "default": 3}
    assert order["additionalProperties"] is False and order["description"] == "An order."
    for path, method in (("/v1/orders", "post"), ("/v1/orders/{order_id}", "get")):
        ours, theirs = static["paths"][path][method], imported["paths"][path][method]
        assert ours.get("requestBody") == theirs.get("requestBody")
        assert ours["responses"]["200"] == theirs["responses"]["200"]


def test_tightening_body_fields_is_a_static_diff_finding(tmp_path: Path) -> None:
    repo = _body_repo(tmp_path, BODY_LOOSE)
    (repo / "services" / "shop" / "shop" / "models.py").write_text(BODY_MODELS.format(**BODY_TIGHT), encoding="utf-8")
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-am", "tighter"], check=True, capture_output=True)
    result = CliRunner().invoke(main, ["diff", "HEAD~1", "HEAD", "--repo", str(repo), "--format", "json",
                                       "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    found = {(f["subject"].split(" ", 1)[-1], f["message"].split(":", 1)[0], f["id"], f["severity"])
             for f in json.loads(result.output)["findings"] if f["family"] == "http"}
    post, get = "POST /v1/orders", "GET /v1/orders/{order_id} 200"
    tightened = {"name": "max-length-decreased", "count": "min-increased", "price": "max-decreased",
                 "step": "multiple-of-tightened", "code": "min-length-increased", "level": "max-decreased",
                 "note": "max-length-decreased", "tags": "max-items-decreased", "slug": "pattern-changed",
                 "lines/items/sku": "max-length-decreased", "lines/items/qty": "max-decreased",
                 "contact": "max-length-decreased"}
    request = {(post, field, f"request-property-{rule}") for field, rule in tightened.items()}
    assert {(s, n, i) for s, n, i, level in found if level == "breaking"} == request, sorted(found)
    # the same models in responses narrow: info for clients, never breaking
    assert (get, "total", "response-property-max-decreased", "info") in found
    assert (f"{post} 200", "order/name", "response-property-max-length-decreased", "info") in found
