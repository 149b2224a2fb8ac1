"""The domain package never imports streamlit nor imports itself round a circle; pages never run SQL themselves."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_checklist_never_imports_streamlit():
    offenders = [p.name for p in (ROOT / "checklist").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_pages_hold_no_sql():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert "sqlite3" not in _imports(page), page.name
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"):
            assert keyword not in text, f"{page.name} holds SQL ({keyword.strip()})"


def test_one_clock():
    """Only checklist/clock.py reads the real clock, so tests can freeze time for everything else."""
    readers = ("datetime.now(", "date.today(", "datetime.utcnow(", "time.time(")
    for folder in ("checklist", "pages", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "clock.py":
                continue
            text = path.read_text(encoding="utf-8")
            assert not [r for r in readers if r in text], f"{path.relative_to(ROOT)} reads the real clock"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _domain_import_graph() -> dict[str, set[str]]:
    """checklist/'s modules and the checklist/ modules each imports, at module level or inside a function."""
    paths = {_module_name(p): p for p in (ROOT / "checklist").rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # a relative import: counted from this module's package
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from checklist import store` imports the module checklist.store; `from checklist.db import
                # record` imports the package checklist.db.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in paths:  # `import checklist.db.sqlite.x` counts as its module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each circle a depth-first walk of the graph meets, as "a -> b -> a"; empty when there is none."""
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append(" -> ".join([*path[path.index(module) :], module]))
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return found


def test_no_import_cycles_in_the_domain():
    """No module of checklist/ imports itself round a circle (store -> access -> store, say), even lazily inside
    a function: each layer imports only the ones below it, so each can be read and replaced on its own."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a -> b -> c -> a"]  # the walk finds a circle
    assert _cycles(_domain_import_graph()) == []
