"""The Batch page under pytest-qt, on the real app and engine: drop a folder, run, pause, resume, export.

The app's model is a generated one that favours closing quotes, brackets and EOS, so answers under the
receipt preset's schema end soon (random weights: only structure is checked).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from visiondesk.batch import find_preset
from visiondesk.engine import SamplingParams

RECEIPT = find_preset("receipt")
IMAGES = 8
BROKEN = "img-05.png"


def image_folder(folder: Path) -> Path:
    folder.mkdir()
    for i in range(IMAGES):
        path = folder / f"img-{i:02d}.png"
        if path.name == BROKEN:
            path.write_bytes(b"\x89PNG but nothing an image decoder wants")
        else:
            Image.new("RGB", (30 + i, 24), ((i * 37) % 256, (i * 91) % 256, 120)).save(path)
    (folder / "notes.txt").write_text("not an image")  # a folder holds other files too: left out
    return folder


def drop_folder(widget, folder: Path) -> None:
    """A real drag-enter and drop of the folder's URL on the page."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def result_lines(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    assert text == "" or text.endswith("\n"), "only whole lines"
    return [json.loads(line) for line in text.splitlines()]


def test_drop_run_pause_resume_export(qtbot, json_shell, tmp_path: Path) -> None:
    batch = json_shell.batch
    batch.sampling = SamplingParams(temperature=0.8, seed=7, max_tokens=300)  # the runner's tests' settings
    json_shell.window.batch_action.trigger()
    page = batch.page
    assert page is not None and page.isVisible()
    assert page.model.currentText() == "json-chat"
    page.at_once.setCurrentIndex(page.at_once.findData(1))  # the one-at-a-time path (several: test_desktop_batch_slots)
    page.preset.setCurrentIndex(page.preset.findData("receipt"))
    drop_folder(page, image_folder(tmp_path / "receipts"))
    assert page.table.rowCount() == IMAGES and batch.state == "ready"
    assert page.table.item(0, 0).text() == "img-00.png" and page.table.item(0, 1).text() == "waiting"
    qtbot.waitUntil(lambda: not page.table.item(0, 0).icon().isNull(), timeout=10_000)  # thumbnails came
    assert page.table.item(5, 0).icon().isNull(), "the broken image has no thumbnail"

    # run, and pause as soon as the first row is in: the image being answered is cancelled
    first_row = []
    batch.row_done.connect(lambda o: first_row or (first_row.append(o), page.pause_button.click()))
    assert page.run_button.isEnabled() and not page.resume_button.isEnabled()
    page.run_button.click()
    assert batch.state == "running" and page.pause_button.isEnabled()
    qtbot.waitUntil(lambda: batch.state == "paused", timeout=120_000)
    assert page.resume_button.isEnabled() and not page.pause_button.isEnabled()
    before = result_lines(batch.result_path)
    assert 1 <= len(before) < IMAGES, "paused part-way"
    waiting = [r for r in range(IMAGES) if page.table.item(r, 1).text() == "waiting"]
    assert len(waiting) == IMAGES - len(before)

    # resume: what was answered is skipped by content hash, the rest fills in
    page.resume_button.click()
    qtbot.waitUntil(lambda: batch.state == "done", timeout=300_000)
    rows = result_lines(batch.result_path)
    assert len(rows) == IMAGES and len({r["sha256"] for r in rows}) == IMAGES, "each image answered once"
    assert batch.summary.skipped == len(before)
    errors = [r for r in rows if r["status"] == "error"]
    assert [Path(r["image"]).name for r in errors] == [BROKEN]
    for r in rows:
        if r["status"] == "ok":
            jsonschema.validate(r["answer"], RECEIPT.schema)
    statuses = {page.table.item(r, 1).text() for r in range(IMAGES)}
    assert "waiting" not in statuses and "error" in statuses
    broken_row = next(r for r in range(IMAGES) if page.table.item(r, 0).text() == BROKEN)
    assert page.table.item(broken_row, 2).text(), "the error row says why"
    assert page.progress.value() == IMAGES

    # export both ways
    assert page.export_csv_button.isEnabled() and page.export_jsonl_button.isEnabled()
    n = batch.export(tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert n == len(table) == IMAGES
    assert {"merchant", "total", "status", "image"} <= set(table[0])
    assert batch.export(tmp_path / "out.jsonl") == IMAGES
    exported = result_lines(tmp_path / "out.jsonl")
    assert {r["sha256"] for r in exported} == {r["sha256"] for r in rows}


def test_cancel_ends_the_job_and_keeps_its_file(qtbot, json_shell, tmp_path: Path) -> None:
    batch = json_shell.batch
    batch.sampling = SamplingParams(temperature=0.8, seed=3, max_tokens=300)
    page = batch.open()
    page.at_once.setCurrentIndex(page.at_once.findData(1))
    batch.set_folder(image_folder(tmp_path / "more"))
    page.run_button.click()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: batch.state == "done", timeout=60_000)
    assert not page.resume_button.isEnabled() and page.run_button.isEnabled()
    assert len(result_lines(batch.result_path)) < IMAGES
    # the window still answers afterwards
    json_shell.window.composer.edit.setPlainText("Hello")
    with qtbot.waitSignal(json_shell.chat.answer_finished, timeout=60_000) as done:
        json_shell.composer.submit()
    assert done.args[0].error is None


def test_an_empty_folder_says_so(qtbot, json_shell, tmp_path: Path) -> None:
    page = json_shell.batch.open()
    (tmp_path / "empty").mkdir()
    drop_folder(page, tmp_path / "empty")
    assert json_shell.batch.state == "empty" and not page.run_button.isEnabled()
    assert "no images" in page.summary.text()
