"""Evidence files through the browser: a file whose content is not an allowed type (whatever its name) and one
over the size limit are refused with what was wrong; an allowed one is attached and offered as a download."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest
from playwright.sync_api import Browser, expect

from checklist import evidence_files, store
from tests.e2e.conftest import TIMEOUT_MS, _start, screenshot, wait_idle

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 60


def test_a_wrong_type_and_an_oversized_file_are_refused_and_a_good_one_attached(browser: Browser, _demo_template,
                                                                                tmp_path):  # fmt: skip
    db_path = tmp_path / "files.db"
    shutil.copy(_demo_template, db_path)
    db = store.connect(db_path)
    draft = int(store.list_assessments(db, status=store.DRAFT)["id"].iloc[0])
    process, url = _start(db_path, tmp_path / "streamlit.log", env={evidence_files.MAX_MB_VAR: "1"})
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        page.goto(f"{url}/assess?assessment={draft}&item=governance")
        uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        expect(uploader).to_have_count(1)
        wait_idle(page)
        uploader.set_input_files({"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": EXE})
        expect(page.get_by_text("minutes.pdf was not attached: the file is a EXE file")).to_be_visible()
        expect(page.get_by_text("expected PDF, Word, Excel, PowerPoint", exact=False)).to_be_visible()
        screenshot(page, "evidence-file-refused")
        wait_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": "big.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * (1536 * 1024)}
        )
        # The browser refuses it before sending a byte (the uploader knows the limit); the server would too.
        expect(page.get_by_text(re.compile(r"File must be 1(\.0)?\s?MB or smaller"))).to_be_visible()
        screenshot(page, "evidence-file-too-big")
        assert evidence_files.listed(db, draft, include_removed=True).empty, "nothing refused was kept"
        wait_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": "Board minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        expect(page.get_by_text("Board minutes.pdf · PDF, 1 KB")).to_be_visible()
        expect(page.get_by_role("button", name="Download")).to_be_visible()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and evidence_files.listed(db, draft).empty:
            time.sleep(0.1)
        assert list(evidence_files.listed(db, draft)["name"]) == ["Board minutes.pdf"]
        with page.expect_download() as got:
            page.get_by_role("button", name="Download").click()
        download = got.value
        assert download.suggested_filename == "Board minutes.pdf"
        assert open(download.path(), "rb").read() == PDF
        screenshot(page, "evidence-file-attached")
    finally:
        page.context.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
