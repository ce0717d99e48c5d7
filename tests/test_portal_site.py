"""The built portal in headless Chromium (Selenium + chromedriver), served by `arrakis-docs serve`'s application.

The site is built once per module with `arrakis-docs build --skip-generate` (the committed pages), then served with
a fake service answering the health endpoints so the Status page has live data to show.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from arrakis_docs.site_server import create_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_BLOCKED = ("*mermaid.min.js",)
_EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[Path]:
    out = Path(tempfile.mkdtemp(prefix="portal-site-"))
    command = [sys.executable, "-c", "from arrakis_docs.cli import main; main()", "build", "--skip-generate",
               "--site", str(out)]
    done = subprocess.run(command,
                          cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    yield out
    shutil.rmtree(out, ignore_errors=True)


def _serve(app: object) -> tuple[str, _Server, threading.Thread]:
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="module")
def portal(site: Path) -> Iterator[str]:
    def live(_request: object) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "user-service", "version": "9.8.7", "uptime_seconds": 3725})

    fake = Starlette(routes=[Route("/health/live", live), Route("/health/ready", live)])
    fake_url, fake_server, fake_thread = _serve(fake)
    env = {"ARRAKIS_HOST": "127.0.0.1", "ARRAKIS_USER_SERVICE_PORT": fake_url.rsplit(":", 1)[1],
           "ARRAKIS_NATS_MONITOR_PORT": str(_free_port())}
    url, server, thread = _serve(create_app(site, ROOT / "catalog", env))
    yield url
    for srv, thr in ((server, thread), (fake_server, fake_thread)):
        srv.should_exit = True
        thr.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMEDRIVER).is_file() and Path(CHROMIUM).is_file()):
        pytest.skip("Debian chromium and chromedriver are needed (make system-deps)")
    profile = tempfile.mkdtemp(prefix="portal-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                "--window-size=1280,900", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def _wait(driver: object, script: str, timeout: float = 15.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _errors(driver: object) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


class _Refs(html.parser.HTMLParser):
    """href/src of every element, with the tag and rel they came from."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for key in ("href", "src"):
            if values.get(key):
                self.refs.append((tag, values.get("rel") or "", values[key] or ""))


def _parse(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_no_external_scripts_styles_or_fonts(site: Path) -> None:
    found = []
    for page in _pages(site):
        for tag, rel, ref in _parse(site / page).refs:
            loads = tag in ("script", "img", "iframe", "source") or (tag == "link" and rel != "canonical")
            if loads and _EXTERNAL.match(ref):
                found.append(f"{page}: <{tag}> {ref}")
    for css in site.rglob("*.css"):
        for ref in re.findall(r"(?:url\(\s*['\"]?|@import\s+['\"])([^'\")\s]+)", css.read_text(encoding="utf-8")):
            if _EXTERNAL.match(ref):
                found.append(f"{css.relative_to(site)}: {ref}")
    assert not found, "\n".join(found)


def test_every_internal_link_resolves(site: Path) -> None:
    broken = []
    for page in _pages(site):
        for _tag, _rel, ref in _parse(site / page).refs:
            parsed = urlparse(ref)
            if parsed.scheme or ref.startswith(("//", "#", "mailto:", "javascript:")) or not parsed.path:
                continue
            base = site if parsed.path.startswith("/") else (site / page).parent
            target = base / parsed.path.lstrip("/")
            if not target.resolve().exists():
                broken.append(f"{page}: {ref}")
            elif parsed.fragment and target.suffix == ".html" and parsed.fragment not in _parse(target).ids:
                broken.append(f"{page}: {ref} (no such anchor)")
    assert not broken, "\n".join(broken[:50])


def test_every_page_loads_without_console_errors(site: Path, portal: str, browser: object) -> None:
    problems = []
    # mermaid.js is heavy and has its own test: not fetched here, to keep this test fast.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": list(_BLOCKED)})
    for page in _pages(site):
        if page.endswith("-try.html"):
            continue  # Swagger UI pages have their own test
        browser.get(f"{portal}/{page}")
        if not browser.execute_script("return !!document.querySelector('.md-content h1')"):
            problems.append(f"{page}: did not load the portal page ({browser.title!r})")
        problems += [f"{page}: console: {m}" for m in _errors(browser) if "ERR_BLOCKED_BY_CLIENT" not in m]
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    assert not problems, "\n".join(problems)


class _Mermaid(html.parser.HTMLParser):
    """Source text of every Mermaid block of a built page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif tag == "div" and "mermaid-diagram" in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.blocks[-1] += data


def test_every_mermaid_block_renders_to_svg(site: Path, portal: str, browser: object) -> None:
    blocks = []
    for page in _pages(site):
        parser = _Mermaid()
        parser.feed((site / page).read_text(encoding="utf-8"))
        blocks += [(page, n, text) for n, text in enumerate(parser.blocks, 1)]
    assert blocks, "the site has no Mermaid blocks"
    page = next(p for p, _, _ in blocks)
    browser.get(f"{portal}/{page}")  # its diagrams.js loads the vendored mermaid.js
    assert _wait(browser, "return [...document.querySelectorAll('div.mermaid-diagram')]"
                          ".every(e => e.getAttribute('data-rendered') === 'svg' && e.querySelector('svg'))", 30)
    browser.set_script_timeout(120)
    results = browser.execute_async_script("""
        const [sources, done] = [arguments[0], arguments[arguments.length - 1]];
        (async () => {
          const out = [];
          for (const [i, src] of sources.entries()) {
            try { const r = await mermaid.render('t' + i, src); out.push(r.svg.startsWith('<svg') ? '' : 'no svg'); }
            catch (e) { out.push(String(e && e.message || e)); }
          }
          done(out);
        })();""", [text for _, _, text in blocks])
    failed = [f"{p} block {n}: {r[:300]}" for (p, n, _), r in zip(blocks, results, strict=True) if r]
    assert not failed, "\n".join(failed)
    assert not _errors(browser)


def test_search_finds_a_service_and_an_endpoint(portal: str, browser: object) -> None:
    from selenium.webdriver.common.by import By

    for query, expected in (("user-service", "user-service"), ("login", "/auth/login")):
        browser.get(f"{portal}/index.html")
        box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
        browser.execute_script("arguments[0].focus()", box)
        box.send_keys(query)
        found = _wait(browser, "return [...document.querySelectorAll('.md-search-result__item')]"
                               ".map(e => e.textContent).join(' ')")
        assert expected in (found or ""), f"search for {query!r} found: {str(found)[:300]}"


def test_swagger_ui_loads_the_committed_spec(portal: str, browser: object) -> None:
    browser.get(f"{portal}/apis/user-service-try.html")
    operations = _wait(browser, "return document.querySelectorAll('#swagger-ui .opblock').length", 20)
    assert operations and operations >= 5, "Swagger UI rendered no operations"
    title = browser.execute_script("return document.querySelector('#swagger-ui .title').textContent")
    assert "user-service" in title
    assert not _errors(browser)


def test_status_page_shows_live_health(portal: str, browser: object) -> None:
    browser.get(f"{portal}/status.html")
    ready = _wait(browser, "const e=document.querySelector('[data-service=\"user-service\"][data-field=\"ready\"]');"
                           "return e && e.textContent.trim() === 'up'")
    assert ready, "user-service is served but the Status page does not show it up"
    version = browser.execute_script(
        "return document.querySelector('[data-service=\"user-service\"][data-field=\"version\"]').textContent")
    assert version == "9.8.7"
    down = browser.execute_script(
        "return document.querySelector('[data-service=\"audit-service\"][data-field=\"ready\"]').textContent")
    assert down.strip() == "down"
    browser.get(f"{portal}/index.html")
    summary = _wait(browser, "const e=document.querySelector('.arrakis-status-summary');"
                             "return e && e.getAttribute('data-ready') !== null && e.textContent")
    assert "1 of 7 services ready" in (summary or "")


def test_screenshots_of_home_and_a_service_page(portal: str, browser: object) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page, name in (("index.html", "home.png"), ("services/user-service.html", "service-user-service.png")):
        browser.get(urljoin(portal + "/", page))
        target = ARTIFACTS / name
        assert browser.save_screenshot(str(target))
        assert target.stat().st_size > 10_000


def test_techdocs_cli_builds_a_service(tmp_path: Path) -> None:
    techdocs = ROOT / "node_modules" / ".bin" / "techdocs-cli"
    venv_bin = ROOT / ".venv-techdocs" / "bin"
    if not techdocs.is_file() or not (venv_bin / "mkdocs").is_file():
        pytest.skip("needs node_modules (make npm-install) and mkdocs-techdocs-core (make techdocs-venv)")
    component = (ROOT / "catalog" / "components" / "user-service.yaml").read_text(encoding="utf-8")
    ref = re.search(r"backstage.io/techdocs-ref: dir:(\S+)", component)
    assert ref, "the Component has no techdocs-ref"
    source = (ROOT / "catalog" / "components" / ref.group(1)).resolve()
    assert (source / "mkdocs.yml").is_file(), f"techdocs-ref points at {source}, which has no mkdocs.yml"
    # techdocs-cli rewrites mkdocs.yml in place: build a copy so the committed file stays as generated.
    copy = tmp_path / "source"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("site", "__pycache__", "*.egg-info"))
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([str(techdocs), "generate", "--no-docker", "--source-dir", str(copy), "--output-dir",
                           str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "user-service" in index and "/auth/login" in index
    assert (tmp_path / "out" / "techdocs_metadata.json").is_file()
