"""The services' Dockerfiles, checked without a container engine.

No engine runs here and no base image can be pulled, so each image is checked in the parts that do not need one:
hadolint lints it; its build context is only what its ``COPY`` lines name (and the wheels build from a folder holding
only that); its run stage is unprivileged, pinned by digest and health-checked; and its ``CMD`` started as written,
from the wheels installed outside the source tree, serves the health endpoint its ``HEALTHCHECK`` probes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parent.parent
SERVICES = sorted(p.parent.name for p in ROOT.glob("services/*/Dockerfile"))
HADOLINT = Path(sys.executable).with_name("hadolint")
IMAGE_PORT = "8000"


def _dockerfile(service: str) -> DockerfileParser:
    parser = DockerfileParser(path=str(ROOT / "services" / service / "Dockerfile"))
    parser.content  # noqa: B018 - read now, so a missing file fails here
    return parser


def _stages(parser: DockerfileParser) -> list[list[dict]]:
    """The instructions of each build stage, in order (ARGs before the first FROM left out)."""
    stages: list[list[dict]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _exec_form(value: str) -> list[str]:
    import json

    words = json.loads(value)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words), value
    return words


def test_every_service_has_an_image() -> None:
    with_code = sorted(p.parent.name for p in ROOT.glob("services/*/pyproject.toml") if p.parent.name != "common")
    assert SERVICES == with_code


def test_hadolint_finds_nothing() -> None:
    done = subprocess.run([str(HADOLINT), *(f"services/{s}/Dockerfile" for s in SERVICES)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint can fail: an unpinned base, a root user and an unpinned pip install are each reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nUSER root\nRUN pip install fastapi\nCMD uvicorn app:app\n")
    done = subprocess.run([str(HADOLINT), str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    for rule in ("DL3007", "DL3002", "DL3013", "DL3025"):
        assert rule in done.stdout, done.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_image_shape(service: str) -> None:
    parser = _dockerfile(service)
    build, run = _stages(parser)
    # the base is one ARG pinned by digest, used by both stages
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", parser.content, re.M)
    assert base and re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", base.group(1)), base
    assert [s[0]["value"].split()[0] for s in (build, run)] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    # the build context it reads: the shared library and the service itself (plus the constraints), nothing else
    copied = {i["value"].split()[0] for i in parser.structure if i["instruction"] == "COPY"
              and "--from" not in i["value"]}
    assert copied == {"services/common/", f"services/{service}/", "constraints.txt"}
    final = {i["instruction"]: i["value"] for i in run}
    assert final["USER"].split(":")[0] not in {"0", "root"}
    assert final["EXPOSE"] == IMAGE_PORT
    assert "/health/live" in final["HEALTHCHECK"] and IMAGE_PORT in final["HEALTHCHECK"]
    assert _exec_form(final["CMD"])[:2] == ["uvicorn", f"{service.replace('-', '_')}.app:create_app"]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each service's wheel and arrakis_common's, built as the image's build stage does: from a folder holding only
    what its COPY lines name."""
    out = tmp_path_factory.mktemp("wheels")
    context = tmp_path_factory.mktemp("context")
    ignore = shutil.ignore_patterns("tests", "docs", "*.egg-info", "__pycache__", "var", "Dockerfile")
    for folder in ("common", *SERVICES):
        shutil.copytree(ROOT / "services" / folder, context / "services" / folder, ignore=ignore)
    built: dict[str, Path] = {}
    for folder in ("common", *SERVICES):
        target = out / folder
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                               "--wheel-dir", str(target), f"services/{folder}"], cwd=context, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        (built[folder],) = target.glob("*.whl")
    return built


@pytest.mark.parametrize("service", SERVICES)
def test_entry_point_serves_from_the_installed_wheels(service: str, wheels: dict[str, Path], tmp_path: Path,
                                                      nats_server) -> None:
    """The image's CMD, run as written but on a free port, from the two wheels installed into a folder of their
    own (their dependencies come from this environment): the service answers its HEALTHCHECK's probe and is ready."""
    parser = _dockerfile(service)
    final = {i["instruction"]: i["value"] for i in _stages(parser)[-1]}
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target",
                           str(site), str(wheels["common"]), str(wheels[service])], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    from arrakis_common.testing import free_port

    port = str(free_port())
    command = _exec_form(final["CMD"])
    command[command.index("--port") + 1] = port
    command[command.index("--host") + 1] = "127.0.0.1"
    env = {**os.environ, **parser.envs, "PYTHONPATH": str(site), "ARRAKIS_DATA_DIR": str(tmp_path / "data"),
           "ARRAKIS_NATS_URL": nats_server.url, "ARRAKIS_OTLP_ENDPOINT": ""}
    package = service.replace("-", "_")
    where = subprocess.run([sys.executable, "-c", f"import {package}, arrakis_common; "
                            f"print({package}.__file__); print(arrakis_common.__file__)"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where
    log = (tmp_path / "service.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name(command[0])), *command[1:]], env=env, cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        probe = _exec_form(final["HEALTHCHECK"].split("CMD", 1)[1].strip())
        probe = [sys.executable if word == "python" else word.replace(f":{IMAGE_PORT}/", f":{port}/")
                 for word in probe]
        deadline = time.monotonic() + 60
        while True:
            healthy = subprocess.run(probe, env=env, capture_output=True, timeout=30, check=False).returncode == 0
            if healthy or proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert healthy, (tmp_path / "service.log").read_text(errors="replace")[-3000:]
        ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
