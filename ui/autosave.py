"""Typing is saved as it happens: Streamlit commits a text box only on blur (or Ctrl+Enter), so text typed
and not yet blurred would be lost on a reload. This script, added once per page, commits a text box
1.5 seconds after the last keystroke (as Ctrl+Enter would for a text area, Enter for a one-line box),
and while a box holds uncommitted text the browser asks before the page is left. Boxes inside forms
are left alone: there, Enter submits the form, which must stay the user's own act.
"""

from __future__ import annotations

import streamlit as st

from checklist.errors import StoreError
from checklist.store import DRIVER_ERRORS

IDLE_MS = 1500
# What a save can fail with, for pages to catch and say "not saved": the store's refusals (a stale save,
# a locked round, a busy or read-only database) and SQLite itself (pages may not import sqlite3).
SAVE_FAILURES: tuple[type[BaseException], ...] = (StoreError, *DRIVER_ERRORS)

SCRIPT = """
<script>
(function () {
  var doc = window.parent && window.parent.document ? window.parent.document : document;
  var win = doc.defaultView || window;
  if (win.__checklistAutosave) return;
  win.__checklistAutosave = true;
  var pending = new Set();
  function commit(el) {
    pending.delete(el);
    if (!doc.contains(el) || el.disabled) return;
    var area = el.tagName === "TEXTAREA";
    el.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", code: "Enter", keyCode: 13, which: 13,
      ctrlKey: area, bubbles: true, cancelable: true}));
  }
  doc.addEventListener("input", function (event) {
    var el = event.target;
    if (!el || !el.matches) return;
    if (!el.matches('[data-testid="stTextArea"] textarea, [data-testid="stTextInput"] input')) return;
    if (el.closest('[data-testid="stForm"]') || el.closest('[role="dialog"]')) return;
    pending.add(el);
    clearTimeout(el.__checklistTimer);
    el.__checklistTimer = setTimeout(function () { commit(el); }, IDLE_MS);
  }, true);
  win.addEventListener("beforeunload", function (event) {
    if (pending.size) { event.preventDefault(); event.returnValue = ""; }
  });
})();
</script>
""".replace("IDLE_MS", str(IDLE_MS))


def autosave_typing() -> None:
    """Add the script (static, no user text) to the page; it installs itself once per browser tab."""
    st.html(SCRIPT, unsafe_allow_javascript=True)
