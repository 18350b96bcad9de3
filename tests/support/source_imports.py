"""Reading clipdesk's own source: which modules import what (the layer and extra rules)."""

from __future__ import annotations

import ast

from tests.support.repo import ROOT

PACKAGE = ROOT / "clipdesk"


def imports_outside(allowed: str, packages: tuple[str, ...]) -> list[str]:
    """Where a module of clipdesk outside its subpackage ``allowed`` imports one of
    ``packages`` ("path:line name")."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno} {n}" for n in names if n.split(".")[0] in packages]
    return offenders
