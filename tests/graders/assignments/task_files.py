"""What the assignment tests check of a sandbox task file: the modules it imports."""

from __future__ import annotations

import ast


def top_level_imports(tree: ast.AST) -> set[str]:
    """The top-level packages a parsed module imports (`import a.b` and `from a.b import c`
    give "a", and so does `from .a import c`)."""
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    return imported
