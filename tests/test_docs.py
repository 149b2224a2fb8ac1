"""The README keeps up: every CLI command, every domain, every setting and the quick start are documented."""

import argparse
import re
import tomllib

import pytest

from checklist import store
from checklist.cli import COMMANDS_HELP, build_parser
from checklist.framework import current_framework
from tests.conftest import ROOT
from ui import identity

README = (ROOT / "README.md").read_text(encoding="utf-8")


COMMAND_LINE = re.search(r"## Command line\n.*?```sh\n(.*?)```", README, re.S).group(1)
SUBCOMMANDS = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices


@pytest.mark.parametrize("command", list(COMMANDS_HELP))
def test_every_cli_command_is_documented_with_its_options(command):
    line = re.search(rf"^checklist {command}\b(.*)$", COMMAND_LINE, re.M)
    assert line, f"the README's Command line block has no `checklist {command}` line"
    documented = set(re.findall(r"--[a-z][a-z-]*", line.group(1).split("  #")[0]))
    options = {o for a in SUBCOMMANDS[command]._actions for o in a.option_strings if o.startswith("--")} - {"--help"}
    assert documented <= options, f"the README gives `{command}` options it does not have"
    assert options - {"--db"} <= documented, f"the README leaves out options of `{command}`"


def test_the_documented_command_is_the_installed_one():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"checklist": "checklist.cli:main"}
    assert ".venv/bin/checklist" in COMMAND_LINE and "python -m checklist" not in COMMAND_LINE


@pytest.mark.parametrize("domain", [d.title for d in current_framework().domains])
def test_every_domain_is_documented(domain):
    assert domain in README


@pytest.mark.parametrize(
    "setting",
    [
        store.DB_ENV_VAR,
        "--db",
        "PORT",
        "ADDRESS",
        identity.MODE_VAR,
        "CHECKLIST_PUBLIC_URL",
        "[auth]",
        "CHECKLIST_TRUSTED_PROXIES",
        "CHECKLIST_STREAMS_PER_CLIENT",
    ],  # fmt: skip
)
def test_every_setting_is_documented(setting):
    assert setting in README


def test_quick_start_is_two_commands_that_exist_in_the_makefile():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_page_is_described():
    for page in (ROOT / "pages").glob("*.py"):
        title = re.search(r'st\.Page\(\s*"pages/' + page.name + r'", title="([^"]+)"', (ROOT / "router.py").read_text())
        assert title, f"{page.name} is not routed in router.py"
        assert f"**{title.group(1)}**" in README, f"README does not describe the {title.group(1)} page"


def test_the_security_page_covers_what_an_operator_needs_and_names_real_tests():
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for heading in ("## What is protected", "## From whom", "## Trust boundaries", "## Controls", "## Headers",
                    "## Limits", "## What an operator must do"):  # fmt: skip
        assert heading in page
    assert "CHECKLIST_TRUSTED_PROXIES" in page and "cookie_secret" in page
    for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page):
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), f"{path}::{name} is not a test"
    for path in re.findall(r"`(tests/[\w/]+\.py)`", page):
        assert (ROOT / path).exists(), path
