"""The framework file: complete, faithful to the report's checklist, in our own words, strictly validated."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from checklist import framework as fwmod
from checklist.framework import FrameworkError, FrameworkRegistry, parse_framework, wording_changes
from tests.conftest import SEEDS

CURRENT_FILE = fwmod.registry().current_file
CURRENT_VERSION = tomllib.loads(CURRENT_FILE.read_text(encoding="utf-8"))["framework"]["version"]
NEXT_VERSION = "99.0"  # a made-up later version for tests of versioning
CHECKLIST_ORDER = [
    "governance", "shared-vision", "referrals", "information-sharing", "clinical-pathways", "pathway-transitions",
    "community-connectors", "care-plans", "user-leadership", "co-production", "feedback",
    "lived-experience-commissioning", "accessible-support", "equipment", "follow-up", "specialist-training",
    "workforce-diversity",
]  # fmt: skip
REQUIRED_DOMAINS = {
    "Governance and shared vision",
    "Referrals, information and clinical pathways",
    "Community connectors and access",
    "Co-production and lived experience",
    "Training",
    "Workforce diversity",
}


def _raw() -> dict:
    return tomllib.loads(CURRENT_FILE.read_text(encoding="utf-8"))


def test_seventeen_checklist_points_in_the_reports_order(fw):
    core = [i for i in fw.items if i.checklist_point is not None]
    assert [i.id for i in sorted(core, key=lambda i: i.checklist_point)] == CHECKLIST_ORDER
    assert [i.checklist_point for i in sorted(core, key=lambda i: i.checklist_point)] == list(range(1, 18))


def test_required_domains_and_optional_workforce_module(fw):
    assert REQUIRED_DOMAINS <= {d.title for d in fw.domains}
    assert len(fw.items_for(include_workforce=False)) == 17
    workforce = [i for i in fw.items_for(include_workforce=True) if i.checklist_point is None]
    assert len(workforce) >= 8
    assert any(m.optional and m.title == "Exercise and rehabilitation workforce" for m in fw.modules)


def test_every_item_has_five_distinct_descriptors_and_easy_read(fw):
    for item in fw.items:
        assert len(item.levels) == 5 and len(set(item.levels)) == 5, item.id
        assert len(item.easy_levels) == 5 and len(set(item.easy_levels)) == 5, item.id
        assert item.statement and item.evidence_prompt and item.easy_statement, item.id
        assert item.references, f"{item.id} points to no section of its sources"


def test_easy_read_uses_short_sentences(fw):
    for item in fw.items:
        for text in (item.easy_statement, *item.easy_levels):
            for sentence in filter(None, re.split(r"[.!?]\s*", text)):
                assert len(sentence.split()) <= 15, f"{item.id}: {sentence!r}"


def test_core_items_cite_report_sections_and_case_studies(fw):
    for item in fw.items_for(include_workforce=False):
        assert all(re.fullmatch(r"\d+(\.\d+)*", r.section) for r in item.references), item.id
    assert {c.section for c in fw.case_studies} == {f"4.1.{n}" for n in range(1, 7)}
    assert fw.source.publisher == "Activity Alliance" and fw.source.date == "February 2025"
    assert fw.source.section.startswith("7.3.2")


def _shingles(text: str, n: int = 7) -> set[tuple[str, ...]]:
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("’", "'")).split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _our_text(data: dict) -> list[str]:
    """Every string we wrote, leaving out the cited titles and section headings of the sources (cited, not copied)."""
    out: list[str] = []

    def walk(node, path=()):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for value in node:
                walk(value, path)
        elif isinstance(node, str) and path not in (
            ("framework", "source", "title"),
            ("framework", "source", "section"),
            ("modules", "sources", "title"),  # a cited document's own title
            ("items", "references", "section"),  # a section number, or a cited source's own heading
        ):
            out.append(node)

    walk(data)
    return out


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds not beside the project")
def test_no_sentence_is_copied_from_the_sources():
    seed_shingles = set()
    for seed in SEEDS.glob("*.txt"):
        seed_shingles |= _shingles(seed.read_text(encoding="utf-8"))
    copied = [text for text in _our_text(_raw()) if _shingles(text) & seed_shingles]
    assert copied == []


def _mutated(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = CURRENT_FILE.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "referrals"', 'id = "referrals"\ncolour = "red"', "item 'referrals': unknown key(s) colour"),
        ('domain = "pathways"', 'domain = "nowhere"', "domain 'nowhere' is not defined"),
        ('id = "follow-up"', 'id = "referrals"', "id 'referrals' is used more than once"),
        (f'version = "{CURRENT_VERSION}"', 'version = ""', "'version' must be a non-empty string"),
        ("[framework]", "[framework", "not valid TOML"),
    ],
)
def test_bad_file_fails_at_load_naming_the_entry(tmp_path, old, new, message):
    with pytest.raises(FrameworkError, match=re.escape(message)):
        fwmod.load_framework_file(_mutated(tmp_path, old, new))


def test_an_item_with_four_levels_is_refused(fw):
    data = _raw()
    data["items"][2]["levels"] = data["items"][2]["levels"][:4]
    with pytest.raises(FrameworkError, match=r"item 'referrals': 'levels' has 4 entries; expected exactly 5"):
        parse_framework(data)


def test_unknown_case_study_is_refused():
    data = _raw()
    data["items"][0]["case_studies"] = ["nowhere-project"]
    with pytest.raises(FrameworkError, match="case study 'nowhere-project' is not defined"):
        parse_framework(data)


@pytest.fixture
def two_versions(tmp_path, monkeypatch):
    """A folder with the current framework and a later version in which one item's wording changed."""
    folder = tmp_path / "frameworks"
    folder.mkdir()
    shutil.copy(CURRENT_FILE, folder / CURRENT_FILE.name)
    text = CURRENT_FILE.read_text(encoding="utf-8").replace(
        f'version = "{CURRENT_VERSION}"', f'version = "{NEXT_VERSION}"', 1
    )
    referrals = fwmod.load_framework_file(CURRENT_FILE).item("referrals")
    text = text.replace(referrals.statement, "One referral route for everyone, self-referral included.", 1)
    (folder / f"ics-physical-activity-{NEXT_VERSION}.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(fwmod, "FRAMEWORKS_DIR", folder)
    return FrameworkRegistry(folder)


def test_wording_changes_between_versions_are_named(two_versions):
    old, new = two_versions.get(CURRENT_VERSION), two_versions.get(NEXT_VERSION)
    assert two_versions.current.version == NEXT_VERSION
    assert wording_changes(old, new) == {"referrals": "changed"}
    assert wording_changes(old, old) == {}


def test_unknown_version_is_refused_with_the_known_ones(two_versions):
    known = re.escape(f"this app knows: {CURRENT_VERSION}, {NEXT_VERSION}")
    with pytest.raises(FrameworkError, match=r"'9.9' is not available; " + known):
        two_versions.get("9.9")
