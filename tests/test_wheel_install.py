"""arrakis-docs installed the way a user installs it: a built wheel in a fresh virtual environment, run on a small
repository outside this one, with no node_modules reachable and nothing of this checkout on ``sys.path``.

Also checks that the browser assets vendored into the package are the exact files package-lock.json pins, and that
the Node packages ``validate`` names are pinned as package.json pins them, so neither can drift.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from arrakis_docs.validation import ASYNCAPI, NODE_CHECKS, find_node_modules, skip_line, toolkit_checkout

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "wheel_repo"
VENDOR = ROOT / "portal" / "assets" / "vendor"
# vendored file (under portal/assets/vendor) -> (npm package, file inside it)
VENDORED = {
    "mermaid/mermaid.min.js": ("mermaid", "dist/mermaid.min.js"),
    "swagger-ui/swagger-ui-bundle.js": ("swagger-ui-dist", "swagger-ui-bundle.js"),
    "swagger-ui/swagger-ui.css": ("swagger-ui-dist", "swagger-ui.css"),
}
# what setuptools needs to build the wheel; copied out so the build writes nothing into the checkout
WHEEL_SOURCES = ("pyproject.toml", "README.md", "portal", "extractors", "model", "templates")


def test_vendored_assets_are_the_lock_files_pinned_copies() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    modules = ROOT / "node_modules"
    if not modules.is_dir():
        pytest.skip("needs node_modules (make npm-install) to compare against")
    for vendored, (package, inside) in VENDORED.items():
        installed = json.loads((modules / package / "package.json").read_text(encoding="utf-8"))["version"]
        assert installed == lock[f"node_modules/{package}"]["version"], f"node_modules/{package} is not the pinned one"
        assert (VENDOR / vendored).read_bytes() == (modules / package / inside).read_bytes(), (
            f"portal/assets/vendor/{vendored} differs from {package}@{installed}: copy node_modules/{package}/{inside}")


def test_node_checks_pin_what_package_json_pins() -> None:
    pins = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    assert {c.package: c.version for c in NODE_CHECKS} == {c.package: pins[c.package] for c in NODE_CHECKS}


def _fake_package(modules: Path, package: str) -> Path:
    (modules / package).mkdir(parents=True)
    (modules / package / "package.json").write_text("{}", encoding="utf-8")
    return modules


def test_node_packages_are_found_in_the_documented_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = _fake_package(tmp_path / "own" / "node_modules", ASYNCAPI.package)
    repo = tmp_path / "repo"
    _fake_package(repo / "node_modules", ASYNCAPI.package)
    monkeypatch.setenv("ARRAKIS_DOCS_NODE_MODULES", f"{tmp_path / 'missing'}{os.pathsep}{own}")
    assert find_node_modules(ASYNCAPI, repo) == own.resolve()  # the variable first, past a folder without it
    monkeypatch.delenv("ARRAKIS_DOCS_NODE_MODULES")
    assert find_node_modules(ASYNCAPI, repo) == (repo / "node_modules").resolve()
    checkout = toolkit_checkout()
    assert checkout == ROOT  # tests run from the source checkout, so its node_modules is the last resort
    bare = tmp_path / "bare"
    bare.mkdir()
    expected = (ROOT / "node_modules").resolve() if (ROOT / "node_modules" / ASYNCAPI.package).is_dir() else None
    assert find_node_modules(ASYNCAPI, bare) == expected
    assert skip_line(ASYNCAPI) == ("skipped: AsyncAPI parser (@asyncapi/parser): npm install --prefix DIR "
                                   "@asyncapi/parser@3.6.3 and set ARRAKIS_DOCS_NODE_MODULES=DIR/node_modules")


@dataclass
class Installed:
    """A fresh venv holding only the wheel and its dependencies, and a copy of the fixture repository."""

    venv: Path
    repo: Path
    env: dict[str, str]

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
        """Run a command of the venv in the repository copy."""
        return subprocess.run([str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.repo, env=env or self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copyfile(ROOT / name, source / name)
    dist = work / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=240, check=False)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    # A user's shell: this checkout's venv, PYTHONPATH and Node packages out of sight.
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "ARRAKIS_DOCS_NODE_MODULES"}}
    system_path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(ROOT))]
    env["PATH"] = os.pathsep.join([str(env_dir / "bin"), *system_path])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # --no-compile: byte-compiling pylint, mkdocs-material & co. would be most of the install time
    pip = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile",
                          str(wheels[0])], env=env,
                         cwd=work, capture_output=True, text=True, timeout=300, check=False)
    assert pip.returncode == 0, pip.stderr[-3000:]
    repo = work / "stockroom"
    shutil.copytree(FIXTURE, repo)
    return Installed(env_dir, repo, env)


def _package_dir(installed: Installed) -> Path:
    done = installed.run("python", "-c", "import arrakis_docs, pathlib; print(pathlib.Path(arrakis_docs.__file__)"
                                         ".resolve().parent)")
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def test_the_wheel_installs_one_top_level_package_outside_the_checkout(installed: Installed) -> None:
    package = _package_dir(installed)
    assert package.name == "arrakis_docs" and installed.venv.resolve() in package.parents
    assert ROOT not in package.parents
    shown = installed.run("python", "-m", "pip", "show", "-f", "arrakis-docs")
    assert shown.returncode == 0, shown.stderr
    files = [line.strip() for line in shown.stdout.split("Files:", 1)[1].splitlines() if line.strip()]
    top = {f.split("/", 1)[0] for f in files if not f.startswith("..")}
    assert top == {"arrakis_docs", next(t for t in top if t.endswith(".dist-info"))}, top
    assert [f for f in files if f.startswith("..")] == [next(f for f in files if f.endswith("/bin/arrakis-docs"))]
    for data in ("site_config.yml", "site_hooks.py", "redocly.yaml", "node/validate-catalog.mjs",
                 "node/validate-asyncapi.mjs", "assets/portal/portal.css", "templates/pages/service.md.j2",
                 *(f"assets/vendor/{v}" for v in VENDORED)):
        assert (package / data).is_file(), f"{data} is not in the wheel"


def test_version_from_the_installed_metadata(installed: Installed) -> None:
    done = installed.run("arrakis-docs", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "arrakis-docs 0.1.0"


def test_generate_validate_build_and_check_on_a_repository_outside_the_project(installed: Installed) -> None:
    repo = installed.repo
    generated = installed.run("arrakis-docs", "generate")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    spec = (repo / "catalog" / "apis" / "stockroom.openapi.json").read_text(encoding="utf-8")
    assert "/items/{sku}" in spec and "put" in spec
    assert "aws_s3_bucket" in (repo / "docs" / "infrastructure" / "index.md").read_text(encoding="utf-8")

    # No node_modules anywhere it looks: every Node check is one skip line naming its fix, and validate passes.
    validated = installed.run("arrakis-docs", "validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    skipped = [line for line in validated.stdout.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == len(NODE_CHECKS), validated.stdout
    for check, line in zip(NODE_CHECKS, skipped, strict=True):
        assert f"{check.package}@{check.version}" in line and "ARRAKIS_DOCS_NODE_MODULES=" in line

    built = installed.run("arrakis-docs", "build")
    assert built.returncode == 0, built.stdout + built.stderr
    config = (repo / ".arrakis-cache" / "mkdocs.yml").read_text(encoding="utf-8")
    package = _package_dir(installed)
    assert str(package / "site_config.yml") in config and str(package / "site_hooks.py") in config
    site = repo / "site"
    for vendored in VENDORED:
        assert (site / "assets/vendor" / vendored).read_bytes() == (package / "assets/vendor" / vendored).read_bytes()
    try_page = (site / "apis" / "stockroom-try.html").read_text(encoding="utf-8")
    assert "assets/vendor/swagger-ui/swagger-ui-bundle.js" in try_page and "assets/portal/swagger.js" in try_page
    assert (site / "assets" / "portal" / "diagrams.js").is_file()
    for page in site.rglob("*"):
        if not page.is_file():
            continue
        text = page.read_bytes()
        assert str(ROOT).encode() not in text, f"{page.relative_to(site)} names the toolkit's checkout"
        if page.suffix in {".html", ".xml", ".json"} or page.parent.name == "portal":
            assert b"node_modules" not in text, f"{page.relative_to(site)} references node_modules"

    checked = installed.run("arrakis-docs", "generate", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "up to date" in checked.stdout + checked.stderr


def test_node_checks_run_from_site_packages_with_arrakis_docs_node_modules(installed: Installed) -> None:
    modules = ROOT / "node_modules"
    if not (modules / "@backstage" / "catalog-model").is_dir():
        pytest.skip("needs node_modules (make npm-install)")
    if not (installed.repo / "catalog").is_dir():
        assert installed.run("arrakis-docs", "generate").returncode == 0
    # The .mjs scripts live in site-packages: they must import their packages from the folder named here.
    env = {**installed.env, "ARRAKIS_DOCS_NODE_MODULES": str(modules)}
    validated = installed.run("arrakis-docs", "validate", "-v", env=env)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "skipped:" not in validated.stdout
    for step in ("backstage validators", "redocly lint"):
        assert step in validated.stderr, validated.stderr
    # A broken entity now fails through Backstage's own validators, run from the installed script.
    component = installed.repo / "catalog" / "components" / "stockroom.yaml"
    original = component.read_text(encoding="utf-8")
    try:
        component.write_text(original.replace("name: stockroom", "name: stock room!", 1), encoding="utf-8")
        broken = installed.run("arrakis-docs", "validate", env=env)
        assert broken.returncode == 1 and "backstage" in broken.stdout, broken.stdout + broken.stderr
    finally:
        component.write_text(original, encoding="utf-8")
