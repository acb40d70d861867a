"""The house's one direction of flow, checked on the source: no module uses another module's
private names; the engine never imports pydantic, openpyxl, pandas or any cba layer above it;
the spec never imports io; the compiled model never imports the pipeline or the sweep."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cba"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import in the file, lazy ones too."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


@pytest.mark.parametrize("path", MODULES, ids=[_module_name(p) for p in MODULES])
def test_no_private_names_from_other_modules(path: Path) -> None:
    own = _module_name(path)
    for module, names in _imports(path):
        if not module.startswith("cba") or module == own:
            continue
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{own} imports private {private} from {module}"


LAYERS = {
    "cba.engine": (
        "pydantic",
        "openpyxl",
        "pandas",
        "rich",
        "cba.spec",
        "cba.io",
        "cba.model",
        "cba.pipeline",
        "cba.scale_sweep",
        "cba.results",
    ),
    "cba.spec": (
        "cba.io",
        "cba.engine",
        "cba.model",
        "cba.pipeline",
        "cba.scale_sweep",
        "openpyxl",
        "numpy",
    ),
    "cba.model": ("cba.pipeline", "cba.scale_sweep", "cba.io", "openpyxl"),
    "cba.results": ("cba.io", "cba.pipeline", "cba.model", "openpyxl", "pydantic"),
}


@pytest.mark.parametrize("path", MODULES, ids=[_module_name(p) for p in MODULES])
def test_layers_import_only_downstream(path: Path) -> None:
    own = _module_name(path)
    for layer, forbidden in LAYERS.items():
        if own == layer or own.startswith(layer + "."):
            for module, _ in _imports(path):
                assert not any(module == f or module.startswith(f + ".") for f in forbidden), (
                    f"{own} imports {module}"
                )
