"""The portal as an engineer browses it: the navigation plan (site_nav), and the built site in headless Chromium at
7 services (this repository) and at 30 (a linked synthetic platform from bench/synthetic.py), with screenshots of
the home, a service, an event and the catalog graph written under the test's temporary folder.

Checks: no page's navigation carries more than NAV_BOUND links, every Mermaid picture of those pages renders, a
service's callers and an event's consumers are two clicks from the home page. The 200-service run is in
`make bench-portal` (bench/portal_bench.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from portal_browse import NAV_BOUND, browser_available, check_page, chromium, largest_nav, served  # noqa: E402
from synthetic import write_repo  # noqa: E402

from arrakis_docs.site_nav import LIMIT, Entry, bounded, plan  # noqa: E402

SYNTHETIC = 30
needs_browser = pytest.mark.skipif(not browser_available(), reason="Debian chromium and chromedriver are needed")


def _pages_of(entries: list[Entry]) -> list[str]:
    found = []
    for entry in entries:
        found += ([entry.page] if entry.page else []) + _pages_of(entry.children)
    return found


def _find(entries: list[Entry], title: str) -> Entry:
    for entry in entries:
        if entry.title == title:
            return entry
        try:
            return _find(entry.children, title)
        except LookupError:
            pass
    raise LookupError(title)


def _longest(entries: list[Entry]) -> int:
    return max([len(entries), *(_longest(e.children) for e in entries)])


def test_plan_puts_every_page_once_under_tabs_and_service_sections() -> None:
    pages = {"index.md": {}, "status.md": {}, "architecture-index.md": {}, "services/index.md": {},
             "services/orders.md": {"nav_service": "orders", "nav_group": "sales"},
             "services/users.md": {"nav_service": "users", "nav_group": "identity"},
             "apis/index.md": {}, "apis/orders.md": {}, "apis/orders-try.md": {}, "apis/platform-events.md": {},
             "events/index.md": {}, "events/arrakis.sales.order.created.md": {},
             "events/arrakis.identity.user_account.created.md": {}, "events/services/orders.md": {},
             "diagrams/index.md": {}, "diagrams/orders/index.md": {}, "runbooks/index.md": {},
             "runbooks/orders/high-latency.md": {}, "runbooks/orders/errors.md": {},
             "notes/release.md": {"nav_service": "users"}}
    entries = plan(pages)
    placed = _pages_of(entries)
    assert sorted(placed) == sorted(pages), "every page exactly once"
    assert [e.title for e in entries] == ["Home", "Services", "APIs", "Events", "Architecture", "Status",
                                          "Runbooks"]
    orders = _find(entries, "orders")
    assert [(c.title, c.page) for c in orders.children[:4]] == [
        ("Overview", "services/orders.md"), ("API", "apis/orders.md"), ("Try it", "apis/orders-try.md"),
        ("Events", "events/services/orders.md")]
    assert [c.page for c in _find(orders.children, "Runbooks").children] == [
        "runbooks/orders/errors.md", "runbooks/orders/high-latency.md"]
    users = _find(entries, "users")  # front matter attaches any page to a service
    assert [(c.title, c.page) for c in users.children] == [("Overview", "services/users.md"),
                                                           ("Notes", "notes/release.md")]
    assert _find(entries, "Sales").children == [orders]
    # Subjects keep their spelling (underscores, no capitals) and sit under their domain.
    assert _find(entries, "arrakis.identity").children[0].title == "arrakis.identity.user_account.created"
    architecture = _find(entries, "Architecture").children  # one tab: index, architecture and diagrams pages
    assert architecture[0].page == "architecture-index.md"
    assert [(e.title, [c.page for c in e.children]) for e in architecture[1:]] == [("Diagrams",
                                                                                      ["diagrams/index.md"])]


def test_long_lists_are_split_into_bounded_ranges() -> None:
    entries = bounded([Entry(f"svc-{i:03d}", f"services/svc-{i:03d}.md") for i in range(200)], limit=LIMIT)
    assert _longest(entries) <= LIMIT
    assert len(_pages_of(entries)) == 200
    assert entries[0].title == "svc-000 – svc-028"
    huge = bounded([Entry(None, f"x/{i:05d}.md") for i in range(5000)], limit=10)
    assert _longest(huge) <= 10 and len(_pages_of(huge)) == 5000


@pytest.fixture(scope="module")
def own_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's portal (the committed pages, 7 services)."""
    site = tmp_path_factory.mktemp("site-7")
    command = [sys.executable, "-c", "from arrakis_docs.cli import main; main()", "build", "--skip-generate",
               "--site", str(site)]
    done = subprocess.run(command,
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and (site / "index.html").is_file(), done.stderr[-3000:]
    return site


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-service linked platform: pages generated from its model (static), built with mkdocs --strict."""
    from arrakis_docs.commands.build import build_site
    from arrakis_docs.commands.common import Target
    from arrakis_docs.extractors.service_scan import ExtractOptions
    from arrakis_docs.output import write_atomic
    from arrakis_docs.progress import Progress
    from arrakis_docs.render import render

    repo = tmp_path_factory.mktemp("synthetic")
    write_repo(repo, services=SYNTHETIC, linked=True)
    target = Target.of(str(repo), None)
    progress = Progress(enabled=False)
    model = target.model(progress, ExtractOptions(static_only=True))
    write_atomic(repo, render(model, repo, repo, target.config))  # the SVG renders are not needed here
    site = repo / "site"
    assert build_site(target, site, progress) == 0
    return site


def _browse(site: Path, pages: list[str], shots: Path) -> None:
    with served(site) as base, chromium() as driver:
        checks = [check_page(driver, base, page, shots) for page in pages]
    problems = [f for c in checks for f in c.failures]
    problems += [f"{c.page}: {c.nav_links} nav links (bound {NAV_BOUND})" for c in checks if c.nav_links > NAV_BOUND]
    assert not problems, "\n".join(problems)
    assert all(c.diagrams for c in checks), [(c.page, c.diagrams) for c in checks]  # each has its picture
    assert all(c.screenshot and c.screenshot.stat().st_size > 10_000 for c in checks)


@needs_browser
def test_seven_services_browse_with_bounded_nav_and_rendered_pictures(own_site: Path, tmp_path: Path) -> None:
    most, page = largest_nav(own_site)
    assert most <= NAV_BOUND, f"{page}: {most} nav links"
    _browse(own_site, ["index.html", "services/user-service.html", "events/arrakis.user.user.created.html",
                       "catalog/graph.html"], tmp_path / "screenshots")


@needs_browser
def test_thirty_services_browse_with_bounded_nav_and_rendered_pictures(synthetic_site: Path, tmp_path: Path) -> None:
    most, page = largest_nav(synthetic_site)
    assert most <= NAV_BOUND, f"{page}: {most} nav links"
    _browse(synthetic_site, ["index.html", "services/svc-007.html", "events/arrakis.svc_007.item0.changed.html",
                             "catalog/graph.html"], tmp_path / "screenshots")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not browser_available():
        pytest.skip("Debian chromium and chromedriver are needed")
    with chromium() as driver:
        yield driver


def _click(driver: object, selector: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    links = [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.text.strip() == text]
    assert links, f"no {selector} link {text!r} on {driver.current_url}"
    links[0].click()


def test_callers_and_consumers_are_two_clicks_from_home(synthetic_site: Path, browser: object) -> None:
    with served(synthetic_site) as base:
        browser.get(f"{base}/index.html")
        _click(browser, ".md-tabs a", "Services")
        _click(browser, "article a", "svc-007")
        check = check_page(browser, base, browser.current_url.removeprefix(base + "/"))
        assert not check.failures
        picture = browser.execute_script("return document.querySelector('#neighbourhood ~ .mermaid-diagram svg')"
                                         ".textContent")
        assert "svc-006" in picture, "the caller (svc-006 calls svc-007) is in the neighbourhood picture"
        browser.get(f"{base}/index.html")
        _click(browser, ".md-tabs a", "Events")
        _click(browser, "article a", "arrakis.svc_007.item0.changed")
        consumers = browser.execute_script("return document.getElementById('consumers').nextElementSibling"
                                           ".textContent")
        assert "svc-008" in consumers, "svc-008 consumes svc-007's first subject"
