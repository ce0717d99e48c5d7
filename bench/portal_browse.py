"""The built portal as an engineer browses it, in headless Chromium (offline): serve a site folder, open pages,
count the navigation links each page carries, wait for its Mermaid pictures and take screenshots.

Used by ``make bench-portal`` (on the largest of its synthetic platforms, 200 services) and by
tests/test_portal_browse.py (at 7 and 30).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NAV_BOUND = 150  # links a page's navigation (tabs + sidebar) may carry, whatever the number of services
# Every link of the tabs and of the primary sidebar, as rendered.
NAV_LINKS_JS = "return document.querySelectorAll('.md-tabs a, nav.md-nav--primary a').length"
MERMAID_JS = """return [...document.querySelectorAll('div.mermaid-diagram')].map(
  e => [e.getAttribute('data-rendered') || '', e.getAttribute('data-error') || '', !!e.querySelector('svg')])"""


@dataclass
class PageCheck:
    """What one page showed: nav links, Mermaid blocks, those that did not render (with their errors)."""

    page: str
    nav_links: int
    diagrams: int
    failures: list[str]
    screenshot: Path | None = None


def browser_available() -> bool:
    """Whether headless Chromium and chromedriver (Debian packages) and Selenium are installed."""
    try:
        import selenium.webdriver  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()


@contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free local port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A headless Chromium driver that resolves no host but 127.0.0.1 (offline), profile in a temporary folder."""
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="portal-browse-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                f"--window-size={width},{height}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(180)  # a loaded machine is slow, never wrong
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def check_page(driver: object, base: str, page: str, shots: Path | None = None, timeout: float = 60.0) -> PageCheck:
    """Open ``page``, wait until each Mermaid block has rendered or failed, count nav links, screenshot it."""
    driver.get(f"{base}/{page}")
    deadline = time.monotonic() + timeout
    blocks = driver.execute_script(MERMAID_JS)
    while any(not state for state, _, _ in blocks) and time.monotonic() < deadline:
        time.sleep(0.2)
        blocks = driver.execute_script(MERMAID_JS)
    failures = [f"{page} block {n}: {state or 'not rendered'} {error}".strip()
                for n, (state, error, svg) in enumerate(blocks, 1) if state != "svg" or not svg]
    shot = None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        shot = shots / (page.replace("/", "__").removesuffix(".html") + ".png")
        driver.save_screenshot(str(shot))
    return PageCheck(page, driver.execute_script(NAV_LINKS_JS), len(blocks), failures, shot)


class _NavLinks(HTMLParser):
    """Links inside the tabs and the primary navigation of a built page."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "nav":
            inside = bool(self.stack and self.stack[-1])
            self.stack.append(inside or "md-tabs" in classes or "md-nav--primary" in classes)
        elif tag == "a" and self.stack and self.stack[-1]:
            self.links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.stack:
            self.stack.pop()


def nav_links_of(html: str) -> int:
    """Nav links of a built page, read from its HTML (every page of a site, without a browser)."""
    parser = _NavLinks()
    parser.feed(html)
    return parser.links


def largest_nav(site: Path) -> tuple[int, str]:
    """The most nav links any page of ``site`` carries, and that page."""
    return max(((nav_links_of(p.read_text(encoding="utf-8")), p.relative_to(site).as_posix())
                for p in site.rglob("*.html")), default=(0, ""))


def folder_megabytes(folder: Path) -> float:
    """Size of every file under ``folder``, in MB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
