"""Each stage's face: another stage imports only what its ``__init__`` says is public.

``api``, ``audit``, ``core``, ``input`` and ``state`` name their public modules in
``__all__``; ``requests`` and ``sandbox`` their public names. Whatever else is in
them is internal and may change without another stage noticing.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

import batch_anonymizer

PACKAGE = Path(batch_anonymizer.__file__).parent
MODULE_FACES = ("api", "audit", "core", "input", "state")
NAME_FACES = ("requests", "sandbox")


@functools.cache
def _relative_imports() -> tuple[tuple[str, str, tuple[str, ...], str], ...]:
    """(importing file, its stage, imported module path, name) of every relative import
    in the package, each file parsed once."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        home = parts[0] if len(parts) > 1 else ""
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = list(parts[:-1])[: len(parts) - node.level]
                target = tuple(base + (node.module.split(".") if node.module else []))
                found += [("/".join(parts), home, target, alias.name) for alias in node.names]
    return tuple(found)


def _imports_into(stage: str) -> list[tuple[str, str, str]]:
    """(importing file, module path inside ``stage`` or "", name) of every relative import
    into ``stage`` from outside it."""
    return [
        (where, ".".join(target[1:]), name)
        for where, home, target, name in _relative_imports()
        if home != stage and target[:1] == (stage,)
    ]


@pytest.mark.parametrize("stage", MODULE_FACES)
def test_other_stages_import_only_the_public_modules(stage: str) -> None:
    public = set(importlib.import_module(f"batch_anonymizer.{stage}").__all__)
    bad = [
        f"{where} imports {stage}.{inside or name}"
        for where, inside, name in _imports_into(stage)
        if (inside.split(".")[0] if inside else name) not in public
    ]
    assert not bad, f"not in {stage}/__init__.py __all__ (add it there if it is public): {bad}"


@pytest.mark.parametrize("stage", NAME_FACES)
def test_other_stages_import_only_the_public_names(stage: str) -> None:
    public = set(importlib.import_module(f"batch_anonymizer.{stage}").__all__)
    bad = [
        f"{where} imports {'.'.join(filter(None, (stage, inside, name)))}"
        for where, inside, name in _imports_into(stage)
        if inside or name not in public
    ]
    assert not bad, f"import these from batch_anonymizer.{stage} (its __all__): {bad}"


@pytest.mark.parametrize("stage", MODULE_FACES)
def test_every_public_module_exists(stage: str) -> None:
    for name in importlib.import_module(f"batch_anonymizer.{stage}").__all__:
        assert (PACKAGE / stage / f"{name}.py").is_file(), f"{stage}.{name}"
