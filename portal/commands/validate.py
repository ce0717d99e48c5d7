"""``arrakis-docs validate``."""

from portal.commands.common import Target


def run(target: Target, verbose: bool) -> int:
    return 0
