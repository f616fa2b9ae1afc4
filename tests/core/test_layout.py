"""The layout's rule for the seeders: the confidentiality core imports no app (not even inside a
function); the demo and bulk seeders live in the demo app, which may use them all."""

from __future__ import annotations

import ast
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
APPS = ("cases", "risk", "referrals", "premises", "demo")
# Modules allowed an app import for now (none: the access core no longer knows the case).
NOT_YET: set[str] = set()


def imported_apps(path: Path) -> set[str]:
    """The apps a module imports, wherever the import statement stands in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(APPS)
    return found


def test_the_core_imports_no_app():
    core = ROOT / "victimsupport"
    offenders = {
        str(path.relative_to(ROOT)): sorted(apps)
        for path in core.rglob("*.py")
        if "migrations" not in path.parts
        and str(path.relative_to(ROOT)) not in NOT_YET
        and (apps := imported_apps(path))
    }
    assert offenders == {}


def test_the_seeders_are_the_demo_apps():
    assert get_commands()["seed_demo"] == "demo"
    assert not (ROOT / "victimsupport" / "demo.py").exists()
    assert not (ROOT / "victimsupport" / "bulkdemo.py").exists()
    assert imported_apps(ROOT / "demo" / "seed.py") <= {"demo"}
    # Each app's part in its own module: the risk rows are not in the cases' engine.
    assert "risk" not in imported_apps(ROOT / "demo" / "bulk.py")
    assert "risk" not in imported_apps(ROOT / "demo" / "cases.py")


def test_test_modules_do_not_import_each_other():
    # Shared builders live in tests/factories.py and fixtures in conftest.py: a test module
    # imported by another runs its module-level code twice and ties unrelated files together.
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            if any(m.startswith("tests.") and ".test_" in f".{m}" for m in modules):
                offenders.append(f"{path.relative_to(ROOT)}: {modules}")
    assert offenders == []
