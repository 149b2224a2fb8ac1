"""Evidence files: the type read from the content, the size bounded, only on drafts by those who may edit, served
only to readers, removable and restorable, in the history, the review table, the board report and backups."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from checklist import access, evidence_files, reports, store
from checklist.access import PermissionDenied
from tests.conftest import ACTOR, FROZEN_AT

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 60


def _ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes/readme.md", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PDF, "PDF"), (PNG, "PNG image"), (_ooxml("word/document.xml"), "Word document"),
     (_ooxml("xl/workbook.xml"), "Excel workbook"), (_ooxml("ppt/presentation.xml"), "PowerPoint presentation"),
     (b"Minutes of the board, 3 March.\nAgreed: yes.\n", "plain text")],
)  # fmt: skip
def test_the_type_is_read_from_the_content(data, kind):
    assert evidence_files.kind_of(data).words == kind


@pytest.mark.parametrize(
    ("data", "found"),
    [(EXE, "EXE file"), (_zip(), "ZIP file"), (b"", "an empty file"), (bytes(range(256)) * 4, "of no type")],
)  # fmt: skip
def test_anything_else_is_refused_naming_what_was_found_and_what_is_allowed(data, found):
    with pytest.raises(store.StoreError, match=found) as refused:
        evidence_files.kind_of(data)
    assert "expected PDF, Word, Excel, PowerPoint" in str(refused.value)


@pytest.fixture
def round_(draft):
    db, aid = draft
    return db, aid, store.get_assessment(db, aid)


def test_a_file_is_kept_with_its_hash_named_cleanly_in_the_history_and_removable(round_):
    db, aid, _ = round_
    file_id = evidence_files.attach(db, ACTOR, aid, "governance", "C:\\Users\\x\\..\\Board minutes.pdf", PDF)
    listed = evidence_files.listed(db, aid)
    assert listed.to_dict("records")[0] | {"added_at": None} == {
        "id": file_id, "item_id": "governance", "name": "Board minutes.pdf", "kind": "PDF", "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(), "added_at": None, "added_by": ACTOR, "removed_at": None,
    }  # fmt: skip
    assert evidence_files.content(db, ACTOR, file_id) == ("Board minutes.pdf", "application/pdf", PDF)
    evidence_files.set_removed(db, ACTOR, file_id, True)
    assert evidence_files.listed(db, aid).empty and len(evidence_files.listed(db, aid, include_removed=True)) == 1
    evidence_files.set_removed(db, ACTOR, file_id, False)
    assert list(evidence_files.listed(db, aid)["name"]) == ["Board minutes.pdf"]
    fields = [r[0] for r in db.execute("SELECT field FROM history WHERE entity = 'evidence_file' ORDER BY id")]
    assert fields == ["attached", "removed_at", "removed_at"]


def test_too_big_a_file_is_refused_and_nothing_is_written(round_, monkeypatch):
    db, aid, _ = round_
    monkeypatch.setenv(evidence_files.MAX_MB_VAR, "1")
    with pytest.raises(store.StoreError, match=r"the file is 1\.5 MB; expected at most 1 MB"):
        evidence_files.attach(db, ACTOR, aid, "governance", "big.pdf", PDF + b"0" * (1536 * 1024))
    with pytest.raises(store.StoreError, match="is a EXE file"):
        evidence_files.attach(db, ACTOR, aid, "governance", "minutes.pdf", EXE)  # a name says nothing
    assert evidence_files.listed(db, aid, include_removed=True).empty


def test_only_an_editor_attaches_only_to_a_draft_and_only_a_reader_downloads(round_, fw):
    db, aid, a = round_
    viewer = access.add_user(db, ACTOR, "viewer@example.nhs.uk", "Vi")
    access.grant(db, ACTOR, viewer, access.VIEWER, a["system_id"], a["place_id"])
    stranger = access.add_user(db, ACTOR, "stranger@example.nhs.uk", "St")
    other = store.create_system(db, "Other ICS", ACTOR)
    access.grant(db, ACTOR, stranger, access.VIEWER, other)
    file_id = evidence_files.attach(db, ACTOR, aid, "governance", "m.pdf", PDF)
    with pytest.raises(PermissionDenied):
        evidence_files.attach(db, access.find_user(db, "viewer@example.nhs.uk"), aid, "governance", "x.pdf", PDF)
    assert evidence_files.content(db, access.find_user(db, "viewer@example.nhs.uk"), file_id)[2] == PDF
    with pytest.raises(PermissionDenied):
        evidence_files.content(db, access.find_user(db, "stranger@example.nhs.uk"), file_id)
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, answer="level", level=2)
    store.submit_assessment(db, aid, ACTOR)
    with pytest.raises(store.StoreError, match="submitted and locked"):
        evidence_files.attach(db, ACTOR, aid, "governance", "late.pdf", PDF)


def test_files_are_named_in_the_board_report_and_kept_in_backups(round_, tmp_path):
    db, aid, _ = round_
    evidence_files.attach(db, ACTOR, aid, "governance", "Board <minutes>.pdf", PDF)
    html = reports.assessment_html(db, aid, FROZEN_AT.date(), with_chart=False)
    assert "Files: Board &lt;minutes&gt;.pdf" in html
    out = tmp_path / "backup.db"
    store.backup(db, out)
    copy = store.connect(out)
    assert bytes(copy.execute("SELECT content FROM evidence_files").fetchone()[0]) == PDF
