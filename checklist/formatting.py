"""One way to write each kind of number and date, used by every page, chart, export and report.

- A score (0-4, a mean) has two decimals: 2.47. No score is an em dash.
- A change of score has a sign and two decimals: +0.25, -1.00.
- A share is a whole percentage: 47%. Never "46.6667%".
- A level is its number and name together: "2 · Developing", so colour or a bare digit never
  carries the meaning alone.
- A date is day, month name and year: 24 November 2026 (the NHS style); a time adds hh:mm in UK time
  (Europe/London: GMT in winter, BST in summer). Times are stored in UTC; people read them as the clock
  on their wall shows.
- A count has thousands separators: 12,345.

Excel keeps numbers as numbers; EXCEL_FORMATS are the number formats that show them the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from checklist.framework import LEVEL_NAMES

LOCAL_TIME = ZoneInfo("Europe/London")  # the zone data comes with tzdata (a pandas dependency) where the OS has none

NONE = "—"
LEVEL_SEPARATOR = " · "

EXCEL_FORMATS = {"score": "0.00", "delta": "+0.00;-0.00;0.00", "percent": "0%", "count": "#,##0", "level": "0",
                 "date": "d mmmm yyyy"}  # fmt: skip


def score(value: float | None, none: str = NONE) -> str:
    """A score to two decimals; `none` when there is no score."""
    if value is None or value != value:  # None or NaN
        return none
    return f"{value:.2f}"


def delta(value: float | None, none: str = NONE) -> str:
    """A change of score with its sign: +0.25, -1.00, 0.00."""
    if value is None or value != value:
        return none
    if abs(value) < 0.005:
        return "0.00"
    return f"{value:+.2f}"


def percent(fraction: float | None, none: str = NONE) -> str:
    """A share (0-1) as a whole percentage."""
    if fraction is None or fraction != fraction:
        return none
    return f"{round(fraction * 100):d}%"


def level(value: int | float | None, none: str = NONE) -> str:
    """A level with its name: '2 · Developing'."""
    if value is None or value != value:
        return none
    number = int(value)
    if not 0 <= number < len(LEVEL_NAMES):
        raise ValueError(f"level {value!r} is out of range; expected a whole number from 0 to {len(LEVEL_NAMES) - 1}")
    return f"{number}{LEVEL_SEPARATOR}{LEVEL_NAMES[number]}"


def count(value: int | None, none: str = NONE) -> str:
    if value is None:
        return none
    return f"{int(value):,}"


def _as_datetime(value: str | date | datetime) -> date | datetime:
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("Z", "+00:00")
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def day(value: str | date | datetime | None, none: str = NONE) -> str:
    """A date as '24 November 2026' (from a date, a datetime or an ISO string)."""
    if value is None or value == "":
        return none
    moment = _as_datetime(value)
    return f"{moment.day} {moment:%B %Y}"


def _local(when: datetime) -> datetime:
    """A stored time (UTC; a naive one is taken as UTC) as UK time."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(LOCAL_TIME)


def moment(value: str | datetime | None, none: str = NONE) -> str:
    """A date and time in UK time: '24 November 2026, 14:05'."""
    if value is None or value == "":
        return none
    when = _as_datetime(value)
    if not isinstance(when, datetime):
        return day(when)
    when = _local(when)
    return f"{day(when)}, {when:%H:%M}"


def time_of_day(value: str | datetime | None, none: str = NONE) -> str:
    """Only the time, in UK time: '14:05' (for something that happened today, such as a save)."""
    if value is None or value == "":
        return none
    when = _as_datetime(value)
    return f"{_local(when):%H:%M}" if isinstance(when, datetime) else none


_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~:$"
# Markdown turns bare web and e-mail addresses into links even when every character is escaped (the
# link detection runs on the text after escapes are resolved). An invisible word joiner after "://",
# "www" and "@" keeps them plain text that reads exactly the same.
_ADDRESS = re.compile(r"(://|www(?=\.)|@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def markdown_text(text: str | None) -> str:
    """Text for Markdown (Streamlit's pages and widget labels) that shows exactly as written: never formatting,
    HTML, a link or an image. For user text, and for item wording, which a system's own local items make user
    text too (the national framework's wording holds no Markdown, so escaping it changes nothing it shows)."""
    text = _ADDRESS.sub(lambda m: m.group(0) + WORD_JOINER, text or "")
    return "".join("&amp;" if c == "&" else "\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


_NOT_IN_NAMES = str.maketrans("", "", "[]!<>*_`\\$~|#")
# Unescaped, an address becomes a link even with a joiner after "://" (the joiner joins the address): one before
# "://" and "@", and after "www", breaks the scheme, the mailbox and the "www." a link needs.
_BEFORE_ADDRESS = re.compile(r"(?=://)|(?=@)|(?<=www)(?=\.)", re.IGNORECASE)


def name_text(text: str | None) -> str:
    """Text for a label Streamlit keeps hidden but gives as an element's accessible name (read raw, so never
    escaped): the characters that make links, images, emphasis or HTML taken out, addresses kept from becoming
    links. A national item's title holds none of them, so its name is unchanged."""
    text = (text or "").translate(_NOT_IN_NAMES)
    return _BEFORE_ADDRESS.sub(WORD_JOINER, text)
