"""The domain package never imports streamlit; pages never run SQL themselves."""

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
