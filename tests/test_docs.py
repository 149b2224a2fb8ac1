"""The docs keep up: the README stays short with its two commands, the docs site builds strictly (no broken link
or anchor), and every CLI command and option, every domain, every page and every setting the code reads is
documented."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from checklist.cli import COMMANDS_HELP, build_parser
from checklist.framework import current_framework
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
CLI_PAGE = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
SETTINGS_PAGE = (DOCS / "reference" / "settings.md").read_text(encoding="utf-8")
COMMAND_LINE = re.search(r"```sh\n(.*?)```", CLI_PAGE, re.S).group(1)
SUBCOMMANDS = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
README_MOST_LINES = 60


@pytest.mark.parametrize("command", list(COMMANDS_HELP))
def test_every_cli_command_is_documented_with_its_options(command):
    line = re.search(rf"^checklist {command}\b(.*)$", COMMAND_LINE, re.M)
    assert line, f"docs/reference/cli.md's command block has no `checklist {command}` line"
    documented = set(re.findall(r"--[a-z][a-z-]*", line.group(1).split("  #")[0]))
    options = {o for a in SUBCOMMANDS[command]._actions for o in a.option_strings if o.startswith("--")} - {"--help"}
    assert documented <= options, f"the docs give `{command}` options it does not have"
    assert options - {"--db"} <= documented, f"the docs leave out options of `{command}`"


def test_the_documented_command_is_the_installed_one():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"checklist": "checklist.cli:main"}
    assert ".venv/bin/checklist" in COMMAND_LINE and "python -m checklist" not in COMMAND_LINE


@pytest.mark.parametrize("domain", [d.title for d in current_framework().domains])
def test_every_domain_is_documented(domain):
    assert domain in (DOCS / "framework.md").read_text(encoding="utf-8")


def _settings_in_code() -> set[str]:
    """Every CHECKLIST_… environment variable the app, its pages and its server read (by its literal name)."""
    found = set()
    for path in [*(ROOT / "checklist").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), *(ROOT / "web").rglob("*.py"),
                 ROOT / "app.py", ROOT / "router.py"]:  # fmt: skip
        found |= set(re.findall(r"[\"'](CHECKLIST_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    return found


OTHER_SETTINGS = {"--db", "PORT", "ADDRESS", "[auth]", "[auth.<name>]"}  # the CLI's, the Makefile's, secrets.toml's


@pytest.mark.parametrize("setting", sorted(_settings_in_code() | OTHER_SETTINGS))
def test_every_setting_is_documented(setting):
    assert setting in SETTINGS_PAGE, f"docs/reference/settings.md does not describe {setting}"


def test_quick_start_is_two_commands_that_exist_in_the_makefile():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_is_short_and_points_at_every_guide():
    assert len(README.splitlines()) <= README_MOST_LINES
    for guide in ("leads", "commissioners", "facilitators", "admins"):
        assert f"docs/guides/{guide}.md" in README


def test_every_page_is_described_in_a_guide():
    guides = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "guides").glob("*.md"))
    router = (ROOT / "router.py").read_text(encoding="utf-8")
    for page in (ROOT / "pages").glob("*.py"):
        title = re.search(r'st\.Page\(\s*"pages/' + page.name + r'", title="([^"]+)"', router)
        assert title, f"{page.name} is not routed in router.py"
        assert f"## {title.group(1)}" in guides, f"no guide describes the {title.group(1)} page"


def test_the_docs_site_builds_strictly(tmp_path):
    """mkdocs with every warning an error: a broken link or anchor, or a page left out of the navigation, fails."""
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.fail("mkdocs is not installed; `make install-test` installs it (pyproject's test extra)")
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "guides" / "leads" / "index.html").exists()


def test_the_security_page_covers_what_an_operator_needs_and_names_real_tests():
    page = (DOCS / "security.md").read_text(encoding="utf-8")
    for heading in ("## What is protected", "## From whom", "## Trust boundaries", "## Controls", "## Headers",
                    "## Limits", "## What an operator must do"):  # fmt: skip
        assert heading in page
    assert "CHECKLIST_TRUSTED_PROXIES" in page and "cookie_secret" in page
    for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page):
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), f"{path}::{name} is not a test"
    for path in re.findall(r"`(tests/[\w/]+\.py)`", page):
        assert (ROOT / path).exists(), path


@pytest.mark.parametrize("page", [p.relative_to(DOCS).as_posix() for p in PAGES])
def test_every_test_a_docs_page_names_exists(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text):
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), f"{page}: {path}::{name} is not a test"
    for path in re.findall(r"`(tests/[\w/]+\.py)`", text):
        assert (ROOT / path).exists(), f"{page}: {path} does not exist"
