"""The architectures `emopy train --arch` accepts, listed from their source without importing torch.

The registry (emopy.models) owns them: each is a `@register_model(...)` builder in one of ARCH_MODULES, whose first
docstring line is its description. Listing reads those decorators, so `emopy archs` works without emopy-fer[train].
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ARCH_MODULES = ("emopy_nets", "resnet", "temporal", "transfer", "vgg")  # the modules emopy.models imports


@dataclass(frozen=True)
class ArchSummary:
    """What `emopy archs` shows of an architecture."""

    name: str
    temporal: bool
    description: str


def list_archs() -> list[ArchSummary]:
    """Every registered architecture, sorted by name, read from the `register_model` decorators' source."""
    out = []
    for module in ARCH_MODULES:
        tree = ast.parse((Path(__file__).parent / "models" / f"{module}.py").read_text(encoding="utf-8"))
        for fn in (node for node in tree.body if isinstance(node, ast.FunctionDef)):
            for dec in fn.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "id", None) == "register_model":
                    temporal = any(k.arg == "temporal" and ast.literal_eval(k.value) for k in dec.keywords)
                    doc = (ast.get_docstring(fn) or "").strip().splitlines()
                    out.append(ArchSummary(ast.literal_eval(dec.args[0]), temporal, doc[0] if doc else ""))
    return sorted(out, key=lambda a: a.name)
