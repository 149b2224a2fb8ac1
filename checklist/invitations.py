"""A workshop as a calendar invitation (.ics): when, how long, and how to join (the address and the code).

Written with icalendar (RFC 5545), times in UK time with the time zone carried in the file, so every calendar
shows the same moment. Text people typed (a unit or round name) is escaped by the library, never read as fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar

from checklist.errors import StoreError
from checklist.formatting import LOCAL_TIME

PRODUCT = "-//ICS physical activity maturity//workshop invitation//EN"
SHORTEST, LONGEST = 15, 8 * 60  # minutes


def workshop_invitation(
    workshop: dict, unit: str, round_label: str, join_url: str, starts: datetime, minutes: int, now: datetime
) -> bytes:
    """The .ics bytes of one workshop: starting at `starts` (UK time when it has no zone), for `minutes`."""
    if not SHORTEST <= minutes <= LONGEST:
        raise StoreError(f"a workshop of {minutes} minutes is not offered; expected {SHORTEST} to {LONGEST} minutes")
    begins = starts if starts.tzinfo else starts.replace(tzinfo=LOCAL_TIME)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"workshop-{workshop['id']}-{workshop['code']}@ics-physical-activity-maturity")
    event.add("dtstamp", now)
    event.add("dtstart", begins)
    event.add("dtend", begins + timedelta(minutes=minutes))
    event.add("summary", f"Workshop: {unit} · {round_label}")
    event.add(
        "description",
        f"A workshop on {unit}'s physical activity maturity self-assessment ({round_label}).\n\n"
        f"To join, open {join_url} on your phone or laptop (or scan the QR code on the screen in the room) "
        f"and enter the code {workshop['code']}. No account is needed: say which part of the system you come "
        "from; your name is optional.",
    )
    event.add("url", join_url)
    event.add("location", join_url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
