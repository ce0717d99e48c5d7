"""Run by path: pyreverse (pylint) on some modules with the site-packages folders taken off ``sys.path``.

Usage: python pyreverse_runner.py ROOT[,ROOT...] PYREVERSE-ARGS...

astroid resolves imports through ``sys.path``; with third-party packages out of reach their bases stay uninferred,
which keeps them out of the diagram and makes a run take about a second instead of half a minute.
"""

import sys

from pylint.pyreverse.main import Run


def main(argv: list[str]) -> int:
    roots, *args = argv
    sys.path[:] = [p for p in sys.path if "site-packages" not in p and "dist-packages" not in p]
    sys.path[:0] = roots.split(",")
    return Run(args).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
