"""The per-service import session: one interpreter answers the OpenAPI, event-schema and table jobs, and whatever the
scanned code does (print, raise, exit, hang, connect) fails that job alone."""

from __future__ import annotations

from pathlib import Path

from arrakis_docs.extractors.import_session import ImportSession

APP = '''
import sys
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

print("hello from the scanned code")  # must not corrupt the replies
IMPORTS = sys.modules.setdefault("shop_import_count", type(sys)("shop_import_count"))
IMPORTS.n = getattr(IMPORTS, "n", 0) + 1


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(index=True)


class OrderPlaced(BaseModel):
    order_id: int


def create_app() -> FastAPI:
    app = FastAPI(title="shop")

    @app.get("/orders/{order_id}")
    def get_order(order_id: int) -> dict:
        return {}

    return app
'''

BROKEN = '''
def helper():
    raise RuntimeError("settings missing")

helper()
'''


def write_package(root: Path) -> Path:
    package = root / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "app.py").write_text(APP, encoding="utf-8")
    (package / "broken.py").write_text(BROKEN, encoding="utf-8")
    (package / "exits.py").write_text("import os\nos._exit(3)\n", encoding="utf-8")
    (package / "hangs.py").write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    (package / "dials.py").write_text("import socket\nsocket.create_connection(('example.com', 80))\n",
                                      encoding="utf-8")
    (package / "count.py").write_text("import sys\nfrom pydantic import BaseModel\n\n\nclass Imports(BaseModel):\n"
                                      "    n: int = sys.modules['shop_import_count'].n\n", encoding="utf-8")
    return root


def test_one_interpreter_answers_every_job_and_imports_once(tmp_path: Path) -> None:
    roots = [str(write_package(tmp_path))]
    with ImportSession(timeout=60) as session:
        spec = session.run("openapi", roots, module="shop.app", attribute="create_app", kind="factory")
        events = session.run("event_schemas", roots, targets=["shop.app:OrderPlaced", "shop.app:Missing"])
        tables = session.run("tables", roots, modules=["shop.app"])
        count = session.run("event_schemas", roots, targets=["shop.count:Imports"])
    assert spec.ok and spec.result["info"]["title"] == "shop" and "/orders/{order_id}" in spec.result["paths"]
    assert events.ok and events.result["schemas"]["shop.app:OrderPlaced"]["required"] == ["order_id"]
    assert events.result["errors"] == {"shop.app:Missing": "AttributeError: module 'shop.app' has no attribute "
                                                          "'Missing'"}
    assert tables.ok and [t["name"] for t in tables.result] == ["orders"]
    assert tables.result[0]["indexes"] == [{"name": "ix_orders_sku", "columns": ["sku"], "unique": False}]
    # The counter lives in the interpreter: one interpreter imported shop.app once for all three jobs.
    assert count.result["schemas"]["shop.count:Imports"]["properties"]["n"]["default"] == 1


def test_failures_stay_with_their_job(tmp_path: Path) -> None:
    roots = [str(write_package(tmp_path))]
    with ImportSession(timeout=60) as session:
        broken = session.run("tables", roots, modules=["shop.broken"])
        exits = session.run("tables", roots, modules=["shop.exits"])
        after_exit = session.run("tables", roots, modules=["shop.app"])
        dials = session.run("tables", roots, modules=["shop.dials"])
        session.timeout = 3  # shop.hangs imports nothing heavy: 3 s is all sleep
        hangs = session.run("tables", roots, modules=["shop.hangs"])
        session.timeout = 60
        after_all = session.run("openapi", roots, module="shop.app", attribute="create_app", kind="factory")
    with ImportSession(timeout=60) as fresh:
        next_service = fresh.run("openapi", roots, module="shop.app", attribute="create_app", kind="factory")
    assert not broken.ok and broken.error == "RuntimeError: settings missing"
    assert f'File "{tmp_path / "shop" / "broken.py"}", line 3, in helper' in broken.traceback
    assert not exits.ok and exits.error.startswith("the importing interpreter exited")
    assert after_exit.ok and [t["name"] for t in after_exit.result] == ["orders"]
    assert not hangs.ok and hangs.error.startswith("timed out after 3s") and not hangs.skipped
    assert not dials.ok and "network access is disabled" in dials.error
    # A hang costs its timeout once per session: the jobs after it are skipped, naming the job that hung.
    assert not after_all.ok and after_all.skipped and "the tables import timed out after 3s" in after_all.error
    assert next_service.ok and next_service.result["info"]["title"] == "shop"


def test_an_interpreter_that_cannot_start_is_a_failed_job(tmp_path: Path) -> None:
    with ImportSession(python=str(tmp_path / "no-python")) as session:
        done = session.run("tables", [], modules=["x"])
    assert not done.ok and done.error.startswith(f"cannot run {tmp_path / 'no-python'}")
