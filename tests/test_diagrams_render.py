"""Every picture renders: each Mermaid block in ``docs/**/*.md`` and README.md (whoever wrote it) through the vendored
mermaid.js in headless Chromium, and every SVG render is well-formed and self-contained."""

from __future__ import annotations

import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from arrakis_docs.commands.common import Target
from arrakis_docs.diagrams_output import RENDERS_DIR, diagram_renders
from arrakis_docs.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
BLOCK = re.compile(r"^```mermaid\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="mermaid.min.js"></script></head>
<body><div id="out"></div></body></html>"""
# Runs in the page: parse and render each block, collect the error of each that fails.
CHECK = """
const [blocks, done] = arguments;
mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});
const failures = [];
for (const [i, [where, text]] of blocks.entries()) {
  try {
    await mermaid.parse(text);
    await mermaid.render('d' + i, text, document.getElementById('out'));
  } catch (e) {
    failures.push(where + ': ' + String(e && e.message || e).split('\\n').slice(0, 3).join(' '));
  }
}
done(failures);
"""


def mermaid_blocks(root: Path) -> list[tuple[str, str]]:
    """``(path:line, text)`` of every Mermaid block under ``docs/`` and in README.md."""
    found = []
    for path in [*sorted((root / "docs").rglob("*.md")), root / "README.md"]:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(root).as_posix()}:{line}", match.group(1)))
    return found


def render_failures(blocks: list[tuple[str, str]]) -> list[str]:
    """The blocks mermaid.js rejects, each ``path:line: error``; Chromium headless, offline, from a local file."""
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (shutil.which("chromedriver") and Path("/usr/bin/chromium").exists()):
        pytest.skip("chromium/chromedriver not installed")
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(MERMAID_JS, Path(scratch) / "mermaid.min.js")
        (Path(scratch) / "page.html").write_text(PAGE, encoding="utf-8")
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", f"--user-data-dir={scratch}/profile"):
            options.add_argument(flag)
        service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.set_script_timeout(120)
            driver.get((Path(scratch) / "page.html").as_uri())
            return driver.execute_async_script(CHECK, [list(b) for b in blocks])
        finally:
            driver.quit()


def test_the_browser_check_catches_a_broken_block() -> None:
    failures = render_failures([("good", "flowchart LR\n  a --> b\n"), ("bad", "flowchart LR\n  a -->> [[\n")])
    assert len(failures) == 1 and failures[0].startswith("bad: ")


def test_every_mermaid_block_in_the_docs_renders() -> None:
    blocks = mermaid_blocks(ROOT)
    assert any(where.startswith("docs/diagrams/") for where, _ in blocks), "run `arrakis-docs generate` first"
    assert any(where.startswith("README.md") for where, _ in blocks)
    assert render_failures(blocks) == []


def test_svg_renders_are_well_formed_and_self_contained(tmp_path: Path) -> None:
    target = Target.of(str(ROOT), None)
    model = target.model(Progress(enabled=False))
    assert diagram_renders(model, ROOT, tmp_path) == []
    svgs = sorted((tmp_path / RENDERS_DIR).rglob("*.svg"))
    names = {p.relative_to(tmp_path / RENDERS_DIR).as_posix() for p in svgs}
    for service in model.services:
        for kind in ("modules", "packages", "classes", "classes-pyreverse", "er"):
            assert f"{service.name}/{kind}.svg" in names
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        ET.fromstring(text)  # well-formed XML
        assert str(ROOT) not in text and str(tmp_path) not in text and "file:" not in text, svg
        hrefs = re.findall(r'href="([^"#][^"]*)"', text)
        assert hrefs == [], f"{svg}: external references {hrefs}"
