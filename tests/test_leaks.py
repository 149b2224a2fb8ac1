"""Nothing from a unit leaks to a signed-in user without a role for it: per page, per report, per export.

The demo in shared mode, with marked text planted in units the users below may not read. Each user
opens every page their navigation offers and tries every choice in its pickers (AppTest); everything
the server sends to the browser (every element's message: text, labels, options, tables, chart data)
is searched for the other units' names and marked text, which may appear only anonymised (Place A,
System A) where the docs say so. The files they can download are searched the same way.
"""

from __future__ import annotations

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from checklist import access, exports, reports
from checklist.access import LEAD, REVIEWER, VIEWER
from tests.conftest import ACTOR, FROZEN_AT
from tests.test_access import _as, shared_demo  # noqa: F401 - fixture
from tests.test_pages import _tab

OTHER_SYSTEM = ("Southdown Coast ICS", "Harbourside", "Kingsmead", "Westcliff", "Southdownmarkedevidence",
                "Southdownmarkedaction")  # fmt: skip
OTHER_PLACES = ("Brackenridge", "Castlemoor", "Dunmere", "Eastwick Coast", "Brackenmarkedevidence")
SYSTEM_VIEWER = "system.viewer@example.nhs.uk"
# who -> what they must never see
FORBIDDEN = {
    f"{LEAD}@example.nhs.uk": OTHER_SYSTEM + OTHER_PLACES,
    f"{REVIEWER}@example.nhs.uk": OTHER_SYSTEM + OTHER_PLACES,
    f"{VIEWER}@example.nhs.uk": OTHER_SYSTEM + OTHER_PLACES,
    SYSTEM_VIEWER: OTHER_SYSTEM,
}
MAX_CHOICES = 8  # options tried per picker: the demo has at most six places and three rounds


@pytest.fixture
def planted(shared_demo):  # noqa: F811
    """Marked evidence and actions in another system and in another place of the users' own system."""
    db, sid, place_a, place_b, draft_of = shared_demo
    uid = access.add_user(db, ACTOR, SYSTEM_VIEWER, "System viewer")
    access.grant(db, ACTOR, uid, VIEWER, sid, None)
    for place, mark in (("Harbourside", "Southdownmarkedevidence"), ("Brackenridge", "Brackenmarkedevidence")):
        (pid,) = db.execute("SELECT id FROM places WHERE name = ?", [place]).fetchone()
        (aid,) = db.execute(
            "SELECT max(id) FROM assessments WHERE place_id = ? AND status = 'submitted'", [pid]
        ).fetchone()
        # Test data written directly: submitted rounds are locked to the app's own writes.
        db.execute("UPDATE responses SET evidence = ? WHERE assessment_id = ?", [f"See {mark} file", aid])
        if place == "Harbourside":
            db.execute("UPDATE actions SET description = 'Southdownmarkedaction plan' WHERE assessment_id = ?", [aid])
    db.conn.commit()
    return shared_demo


def _sent(at: AppTest) -> str:
    """Everything in the page's element tree as the browser receives it (each element's message)."""
    parts: list[bytes] = []

    def walk(node) -> None:  # noqa: ANN001
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return b"\n".join(parts).decode("utf-8", errors="replace")


def _leaks(text: str, forbidden: tuple[str, ...]) -> list[str]:
    return [word for word in forbidden if word in text]


class _ChosenByLabel(Selectbox):
    """A selectbox answered as the browser answers it: with the label of the option chosen."""

    label_chosen = ""

    @property
    def _widget_state(self) -> WidgetState:
        state = WidgetState()
        state.id = self.id
        state.string_value = self.label_chosen
        return state


def _choose(box: Selectbox, n: int) -> None:
    # AppTest's own select_index needs the page's option values, which never reach the browser.
    box.__class__ = _ChosenByLabel
    box.label_chosen = box.options[n]


def _visit(email: str, page: str) -> list[tuple[str, str]]:
    """Open a page as this user, then each option of each picker in turn; returns (what was chosen, sent)."""
    at = _as(email, page)
    assert not at.exception, f"{page} as {email}: {at.exception}"
    seen = [("as opened", _sent(at))]
    pickers = [(s.key, list(s.options)) for s in at.selectbox if s.key and len(s.options) <= MAX_CHOICES]
    for key, options in pickers:
        for n in range(len(options)):
            box = at.selectbox(key=key)
            if n >= len(box.options):  # an earlier choice narrowed this picker
                break
            _choose(box, n)
            at.run()
            assert not at.exception, f"{page} as {email}, {key} = option {n}: {at.exception}"
            seen.append((f"{key} = option {n}", _sent(at)))
    return seen


PAGE_FILES = {
    "Home": "pages/home.py",
    "Assess": "pages/assess.py",
    "Dashboard": "pages/dashboard.py",
    "Compare places": "pages/compare.py",
    "Workshop": "pages/workshop.py",
    "The framework": "pages/framework.py",
}


@pytest.mark.parametrize("email", list(FORBIDDEN))
def test_no_page_shows_a_unit_the_user_has_no_role_for(planted, email):
    at = _as(email)
    pages = [p for p in at.session_state["_pages"] if p in PAGE_FILES]
    assert pages, "every role has pages"
    for title in pages:
        for chosen, sent in _visit(email, PAGE_FILES[title]):
            assert not _leaks(sent, FORBIDDEN[email]), f"{title} ({chosen}) shows {_leaks(sent, FORBIDDEN[email])}"
    db = planted[0]
    for aid in _readable_rounds(db, access.find_user(db, email)):  # every round they may open, all its tabs
        at = _as(email, "pages/assess.py", assessment=str(aid))
        assert not at.exception and at.title[0].value != "Assess"
        for tab in [t.label for t in at.tabs]:  # only the open tab is drawn: open each in turn
            at = _tab(at, aid, tab)
            sent = _sent(at)
            assert not at.exception and not _leaks(sent, FORBIDDEN[email]), (
                f"round {aid}, {tab}: {_leaks(sent, FORBIDDEN[email])}"
            )


def test_the_sweep_would_notice_a_leak(planted):
    """The check above is only as good as its search: an admin, who may read everything, trips it."""
    db = planted[0]
    uid = access.add_user(db, ACTOR, "admin.too@example.nhs.uk", "Admin")
    access.grant(db, ACTOR, uid, access.ADMIN)
    seen = _visit("admin.too@example.nhs.uk", "pages/dashboard.py")
    found = set().union(*(_leaks(sent, OTHER_SYSTEM + OTHER_PLACES) for _, sent in seen))
    assert {"Southdown Coast ICS", "Harbourside"} <= found


def test_other_systems_appear_only_anonymised_in_systems_compared(planted):
    at = _as(SYSTEM_VIEWER, "pages/compare.py")
    assert "Systems compared" in [h.value for h in at.header]
    sent = _sent(at)
    assert "System A" in sent and "Northmoor and Vale ICS" in sent
    assert not _leaks(sent, OTHER_SYSTEM)


def _readable_rounds(db, user: access.User) -> list[int]:  # noqa: ANN001
    rows = db.execute("SELECT id, system_id, place_id FROM assessments").fetchall()
    return [aid for aid, s, p in rows if access.can(user, access.READ, s, p)]


@pytest.mark.parametrize("email", list(FORBIDDEN))
def test_no_report_or_export_a_user_can_reach_carries_another_units_data(planted, email):
    db = planted[0]
    user = access.find_user(db, email)
    rounds = _readable_rounds(db, user)
    assert rounds, "each user can read some rounds"
    today = FROZEN_AT.date()
    for aid in rounds:  # the board report of every round they may open (Assess page)
        html = reports.assessment_html(db, aid, today, with_chart=False)
        assert not _leaks(html, FORBIDDEN[email]), f"board report of round {aid}"
    for sid in {s for (s,) in db.execute("SELECT id FROM systems").fetchall()}:
        if access.can(user, access.READ, sid, None):  # the comparison report (Compare page)
            html = reports.comparison_html(db, sid, None, today)
            assert not _leaks(html, FORBIDDEN[email]), f"comparison report of system {sid}"
    ids = access.exportable_assessment_ids(db, user)
    assert sorted(ids) == sorted(rounds), "their export holds exactly what they may read"
    text = exports.csv_bytes(exports.export_frame(db, ids)).decode("utf-8")
    assert not _leaks(text, FORBIDDEN[email])
    assert "Ashby Vale" in text


def test_a_scoped_export_of_a_unit_the_user_cannot_read_is_refused(planted):
    db, sid, place_a, place_b, _ = planted
    lead = access.find_user(db, f"{LEAD}@example.nhs.uk")
    with pytest.raises(access.PermissionDenied, match="may not export this system or place"):
        access.exportable_assessment_ids(db, lead, sid, place_b)
    with pytest.raises(access.PermissionDenied, match="may not export"):
        access.exportable_assessment_ids(db, lead, sid, None)
    mine = access.exportable_assessment_ids(db, lead, sid, place_a)
    assert mine and sorted(mine) == sorted(exports.assessment_ids(db, sid, place_a))
    system_viewer = access.find_user(db, SYSTEM_VIEWER)
    whole = access.exportable_assessment_ids(db, system_viewer, sid, None)
    assert set(mine) < set(whole), "a system's export covers its places"
    assert {
        p
        for (p,) in db.execute(
            f"SELECT DISTINCT system_id FROM assessments WHERE id IN ({','.join('?' * len(whole))})", whole
        )
    } == {sid}


def test_the_dashboard_offers_each_reader_an_export_of_the_unit_they_chose(planted):
    at = _as(f"{VIEWER}@example.nhs.uk", "pages/dashboard.py")
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Download every round (Excel)", "Download every round (CSV)"} <= set(labels)
