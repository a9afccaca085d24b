"""A PDF dropped into the composer joins as its pages (real PDFium, the real window, the real engine)."""

from __future__ import annotations

from pathlib import Path

from tests.desktop.test_desktop_chat import send
from tests.engine.test_pdf_pages import write_pdf


def test_a_pdf_joins_as_its_pages_in_order_and_is_answered_about(qtbot, shell, images, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "invoice.pdf", 3, (300, 400))
    shell.composer.add_files([pdf, images[0]])
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 4, timeout=20_000)
    names = ["invoice p.1.png", "invoice p.2.png", "invoice p.3.png", "photo0.png"]
    assert [p.name for p in shell.composer.pending] == names  # the PDF's place, its pages in order
    assert not shell.window.composer.error_label.isVisible()
    fin = send(qtbot, shell, "What is the total on this invoice?")
    assert fin.error is None and fin.usage.images_encoded + fin.usage.images_reused == 4  # (some encoded ahead)
    stored = shell.store.messages(shell.chat.conversation_id)
    assert [a.name for a in stored[0].attachments] == names  # kept with the conversation, as page images


def test_a_long_pdf_gives_its_first_pages_says_so_and_lets_others_be_chosen(qtbot, shell, images,
                                                                             tmp_path: Path) -> None:
    composer, view = shell.composer, shell.window.composer
    composer.add_files([write_pdf(tmp_path / "contract.pdf", 11, (200, 260)), images[0]])
    qtbot.waitUntil(lambda: len(composer.pending) == 9, timeout=20_000)
    said = view.error_label
    assert said.isVisible() and said.text().startswith("Only the first 8 of the 11 pages of contract.pdf were "
                                                       "attached")
    assert composer.pending[7].name == "contract p.8.png" and view.pages_button.isVisible()
    dialog = composer.choose_pages()
    assert dialog is not None and "contract.pdf" in dialog.labelText() and "it has 11" in dialog.labelText()
    dialog.setTextValue("12")  # no such page: said, and the pages stay
    dialog.accept()
    assert said.text() == "“12” is not a page range of this 11-page PDF: write pages as 3-5, 9."
    assert len(composer.pending) == 9
    composer.choose_pages().textValueSelected.emit("10-11, 2")
    qtbot.waitUntil(lambda: len(composer.pending) == 4, timeout=20_000)
    assert [p.name for p in composer.pending] == ["contract p.10.png", "contract p.11.png", "contract p.2.png",
                                                  "photo0.png"]  # in the PDF's place, before the photo
    assert not said.isVisible()
    fin = send(qtbot, shell, "What do these pages say?")
    assert fin.error is None and not view.pages_button.isVisible()
    stored = shell.store.messages(shell.chat.conversation_id)
    assert [a.name for a in stored[0].attachments][:3] == ["contract p.10.png", "contract p.11.png",
                                                           "contract p.2.png"]


def test_a_damaged_pdf_is_said_and_the_question_kept(qtbot, shell, tmp_path: Path) -> None:
    whole = write_pdf(tmp_path / "whole.pdf", 2).read_bytes()
    broken = tmp_path / "statement.pdf"
    broken.write_bytes(whole[: len(whole) // 3])
    shell.window.composer.edit.setPlainText("Summarise this statement")
    shell.composer.add_files([broken])
    said = shell.window.composer.error_label
    qtbot.waitUntil(lambda: said.isVisible(), timeout=10_000)
    assert "statement.pdf" in said.text() and "damaged" in said.text()
    assert shell.composer.pending == [] and shell.window.composer.edit.toPlainText() == "Summarise this statement"


def test_send_before_a_pdf_is_checked_sends_its_pages(qtbot, shell, tmp_path: Path) -> None:
    shell.composer.add_files([write_pdf(tmp_path / "quick.pdf", 2, (200, 260))])
    assert shell.composer.checking == 1  # still being drawn and checked off the UI thread
    shell.window.composer.edit.setPlainText("Which page is darker?")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000) as blocker:
        shell.composer.submit()
    usage = blocker.args[0].usage
    assert blocker.args[0].error is None and usage.images_encoded + usage.images_reused == 2
    stored = shell.store.messages(shell.chat.conversation_id)
    assert [a.name for a in stored[0].attachments] == ["quick p.1.png", "quick p.2.png"]


def test_send_before_a_damaged_pdf_is_checked_sends_the_rest_and_says_why(qtbot, shell, images,
                                                                          tmp_path: Path) -> None:
    whole = write_pdf(tmp_path / "whole.pdf", 2).read_bytes()
    torn = tmp_path / "torn.pdf"
    torn.write_bytes(whole[:300])
    shell.composer.add_files([torn, images[0]])
    shell.window.composer.edit.setPlainText("What is this?")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000) as blocker:
        shell.composer.submit()
    assert blocker.args[0].error is None
    stored = shell.store.messages(shell.chat.conversation_id)
    assert [a.name for a in stored[0].attachments] == ["photo0.png"]
    said = shell.window.composer.error_label
    assert said.isVisible() and "torn.pdf" in said.text() and "damaged" in said.text()


def test_the_batch_page_previews_a_pdf_by_its_first_page(qtbot, tmp_path: Path) -> None:
    from visiondesk.desktop.views.batch_page import THUMB, thumbnails

    pdf = write_pdf(tmp_path / "receipt.pdf", 2)
    torn = tmp_path / "torn.pdf"
    torn.write_bytes(pdf.read_bytes()[:300])
    (_, preview), (_, none) = thumbnails([pdf, torn])
    assert not preview.isNull() and max(preview.width(), preview.height()) == THUMB
    middle = preview.pixelColor(preview.width() // 2, preview.height() // 2)
    assert (middle.red(), middle.green()) > (200, 0) and middle.green() < 60  # the first page: red
    assert none.isNull()  # a damaged PDF: no preview, and its row says why when it is reached
