"""The house keeps its map: the README layout is true to the tree, services know no HTTP, pure layers stay pure."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout_block() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Project layout", 1)[1]
    return section.split("```", 2)[1].strip("\n").splitlines()


def _named_paths() -> set[str]:
    """Return the paths the map names, with `app/` prefixed to the entries indented under it."""
    paths = set()
    for line in _layout_block():
        words = line.split()
        if not words or not re.match(r"[\w.]", words[0]):
            continue  # a description continued from the line above
        names = [words[0]]
        while names[-1].endswith(",") and len(words) > len(names):  # "demo/, data/"
            names.append(words[len(names)])
        prefix = "app/" if line.startswith("  ") else ""
        paths.update(prefix + name.rstrip(",").rstrip("/") for name in names)
    return paths


def test_every_path_on_the_map_exists():
    missing = [path for path in sorted(_named_paths()) if not (ROOT / path).exists()]
    assert missing == []


def test_every_package_and_module_of_app_is_on_the_map():
    named = _named_paths()
    present = {f"app/{p.name}" for p in (ROOT / "app").iterdir()
               if not p.name.startswith(("_", ".")) and (p.is_dir() or p.suffix == ".py")}
    assert sorted(present - named) == []


def _imports(path: Path) -> set[str]:
    """Return "module.name" for every name a module imports (and "module" for plain imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_services_know_no_http():
    # Services read configuration (current_app.config) and nothing else of Flask: no request, no
    # abort, no responses or URLs. Views and loaders answer HTTP.
    for path in sorted((ROOT / "app" / "services").glob("*.py")):
        http = {name for name in _imports(path) if name.startswith(("flask", "werkzeug", "flask_login", "flask_wtf"))}
        assert http <= {"flask.current_app"}, f"{path.name} imports {sorted(http)}"


def test_the_pure_layers_import_neither_flask_nor_the_database():
    for layer in ("text", "bibliography"):
        for path in sorted((ROOT / "app" / layer).rglob("*.py")):
            outside = {name for name in _imports(path)
                       if name.startswith(("flask", "sqlalchemy", "app.models", "app.extensions", "app.services"))}
            assert outside == set(), f"{path.relative_to(ROOT)} imports {sorted(outside)}"
