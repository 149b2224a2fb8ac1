"""The README keeps up: every CLI command, every domain, every setting and the quick start are documented."""

import re

import pytest

from checklist import store
from checklist.cli import COMMANDS_HELP
from checklist.framework import current_framework
from tests.conftest import ROOT
from ui import identity

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", list(COMMANDS_HELP))
def test_every_cli_command_is_documented(command):
    assert f"python -m checklist {command}" in README


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
