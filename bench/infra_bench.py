"""`make bench-infra`: Terraform parse-and-graph time per 100 `.tf` files, beside bare python-hcl2 parsing.

Corpus: every `.tf`/`.tf.json` file under terraform/ and the infra test fixtures, copied N times into separate
folders (so that there are at least 100 files and module calls still resolve). Both measurements run in this process
on the same texts, best of three: the baseline only calls `hcl2.loads` on each file, one after another; ours builds the
whole InfraModel (parse, normalise, instance graph, references, placement/security-group/IRSA semantics).
Target: at most 3 s per 100 files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hcl2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from arrakis_docs.extractors.hcl_graph import TERRAFORM_SUFFIXES, build_model  # noqa: E402

TARGET_SECONDS_PER_100 = 3.0
SOURCES = (REPO / "terraform", REPO / "tests" / "fixtures" / "infra_public")


def corpus(minimum: int = 100) -> dict[str, str]:
    """Texts by relative path, the sources repeated into copy<N>/ folders until there are ``minimum`` files."""
    files = {f"{source.name}/{p.relative_to(source).as_posix()}": p.read_text(encoding="utf-8")
             for source in SOURCES for p in sorted(source.rglob("*"))
             if p.is_file() and p.name.endswith(TERRAFORM_SUFFIXES) and ".terraform" not in p.parts}
    texts: dict[str, str] = {}
    copy = 0
    while len(texts) < minimum:
        texts.update({f"copy{copy}/{path}": text for path, text in files.items()})
        copy += 1
    return texts


def best_of(runs: int, work) -> float:  # noqa: ANN001 - a zero-argument callable
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    """Print both numbers per 100 files; exit 1 when the target is missed."""
    texts = corpus()
    hcl_texts = [text for path, text in texts.items() if path.endswith(".tf")]

    def baseline() -> None:
        for text in hcl_texts:
            try:
                hcl2.loads(text)
            except Exception:  # the fixture's broken file fails here as it does in ours
                pass

    def ours() -> None:
        build_model(texts, [])

    base = best_of(3, baseline) * 100 / len(hcl_texts)
    mine = best_of(3, ours) * 100 / len(texts)
    model = build_model(texts, [])
    print(f"infra bench: {len(texts)} files, {len(model.nodes)} nodes, {len(model.edges)} edges")
    print(f"  baseline (bare python-hcl2 parse, serial): {base:.2f} s per 100 files")
    print(f"  arrakis-docs parse + graph:                {mine:.2f} s per 100 files ({mine / base:.2f}x baseline)")
    met = mine <= TARGET_SECONDS_PER_100
    print(f"  target <= {TARGET_SECONDS_PER_100:.1f} s per 100 files: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
