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
