"""A workshop as a calendar invitation: the right moment in UK time, the join address and code, text as typed."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from checklist import invitations, store, workshops
from tests.conftest import ACTOR
from tests.test_pages import _app

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
JOIN = "https://maturity.example.nhs.uk/join?code=ENEM4S"


def _event(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["version"] == "2.0" and calendar.walk("VTIMEZONE"), "the time zone travels with the file"
    return calendar.walk("VEVENT")[0]


WINTER, SUMMER = datetime(2027, 1, 14, 10, 0), datetime(2027, 6, 14, 10, 0)


@pytest.mark.parametrize(("starts", "utc_hour"), [(WINTER, 10), (SUMMER, 9)])
def test_an_invitation_is_at_the_uk_time_given_with_the_join_address_and_code(starts, utc_hour):
    unit = 'Fenwick; Moor, "North" <b>x</b>\nSecond line'
    event = _event(invitations.workshop_invitation({"id": 3, "code": "ENEM4S"}, unit, "2026 Q4", JOIN, starts, 90, NOW))
    assert event["summary"] == f"Workshop: {unit} · 2026 Q4", "text is carried as typed, escaped by the format"
    begins, ends = event.decoded("dtstart"), event.decoded("dtend")
    assert begins.astimezone(UTC).hour == utc_hour, "GMT in winter, BST in summer"
    assert (ends - begins).total_seconds() == 90 * 60
    assert JOIN in event["description"] and "ENEM4S" in event["description"] and event["url"] == JOIN
    assert event["uid"] == "workshop-3-ENEM4S@ics-physical-activity-maturity"


@pytest.mark.parametrize("minutes", [0, 14, 481])
def test_a_workshop_length_outside_what_is_offered_is_refused(minutes):
    with pytest.raises(store.StoreError, match="expected 15 to 480 minutes"):
        invitations.workshop_invitation({"id": 1, "code": "X"}, "U", "R", JOIN, datetime(2027, 1, 1), minutes, NOW)


def test_the_workshop_page_offers_the_invitation(demo_path, monkeypatch):
    db = store.connect(demo_path)
    draft = store.list_assessments(db, status=store.DRAFT).iloc[0]
    w = workshops.start_workshop(db, int(draft["id"]), ACTOR)
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "Calendar invitation (.ics)" in labels
