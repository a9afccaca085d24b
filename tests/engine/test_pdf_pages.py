"""A PDF's pages drawn as images (real PDFium through pypdfium2, PDFs written by Pillow)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import ImageSource
from visiondesk.engine.pdf_child import PAGE_LONG_SIDE
from visiondesk.engine.pdf_pages import PdfUnreadable, is_pdf, pdf_pages

COLORS = [(220, 30, 30), (30, 160, 60), (40, 60, 200), (240, 200, 20)]


def write_pdf(path: Path, pages: int, size: tuple[int, int] = (612, 792)) -> Path:
    """A PDF of ``pages`` plain-coloured pages (Letter size at 72 dpi by default)."""
    images = [Image.new("RGB", size, COLORS[i % len(COLORS)]) for i in range(pages)]
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return path


def test_each_page_becomes_a_png_of_its_own_in_order(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "receipt.pdf", 3)
    drawn = pdf_pages(ImageSource(path=pdf))
    assert drawn.total == 3 and not drawn.cut
    assert [p.name for p in drawn.pages] == ["receipt p.1.png", "receipt p.2.png", "receipt p.3.png"]
    for page, color in zip(drawn.pages, COLORS, strict=False):
        assert page.data is not None and page.data[:8] == b"\x89PNG\r\n\x1a\n"
        image = Image.open(io.BytesIO(page.data))
        # 8.5 x 11 inches at 200 dpi: 1700 x 2200, held to the long-side limit
        assert max(image.size) == PAGE_LONG_SIDE and image.size[0] / image.size[1] == pytest.approx(612 / 792, 0.01)
        middle = image.getpixel((image.size[0] // 2, image.size[1] // 2))
        assert all(abs(a - b) <= 6 for a, b in zip(middle, color, strict=True))  # Pillow stores the page as JPEG


def test_a_long_document_gives_its_first_pages_and_says_how_many_it_has(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "contract.pdf", 11, (300, 400))
    drawn = pdf_pages(ImageSource(path=pdf), max_pages=4)
    assert len(drawn.pages) == 4 and drawn.total == 11 and drawn.cut
    small = Image.open(io.BytesIO(drawn.pages[0].data or b""))
    assert small.size == (834, 1112)  # a small page at 200 dpi (300 x 400 points), under the long-side limit


def test_pdf_bytes_are_recognised_by_their_magic_not_their_name(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "scan.bin", 1)
    assert is_pdf(ImageSource(path=pdf)) and is_pdf(ImageSource(data=pdf.read_bytes(), name="x.png"))
    png = tmp_path / "fake.pdf"
    Image.new("RGB", (4, 4)).save(png, "PNG")
    assert not is_pdf(ImageSource(path=png)) and not is_pdf(ImageSource(path=tmp_path / "missing.pdf"))
    drawn = pdf_pages(ImageSource(data=pdf.read_bytes(), name="mail attachment.pdf"))
    assert [p.name for p in drawn.pages] == ["mail attachment p.1.png"]


def test_a_damaged_pdf_is_refused_in_one_sentence(tmp_path: Path) -> None:
    whole = write_pdf(tmp_path / "whole.pdf", 2).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(PdfUnreadable) as caught:
        pdf_pages(ImageSource(path=cut))
    assert caught.value.code == "pdf_unreadable" and caught.value.reason_code == "damaged"
    assert str(caught.value).startswith("Cannot read the PDF cut.pdf: it is damaged or not a complete PDF.")


def test_a_password_protected_pdf_says_what_to_do(tmp_path: Path) -> None:
    import pypdf

    plain = pypdf.PdfReader(write_pdf(tmp_path / "plain.pdf", 1))
    writer = pypdf.PdfWriter()
    for page in plain.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "payslip.pdf"
    with locked.open("wb") as f:
        writer.write(f)
    with pytest.raises(PdfUnreadable) as caught:
        pdf_pages(ImageSource(path=locked))
    assert caught.value.reason_code == "password"
    assert str(caught.value).startswith("Cannot read the PDF payslip.pdf: it is protected by a password. Open it in "
                                        "a PDF viewer, save or print a copy without the password, and attach that.")


def test_pages_are_chosen_by_a_range_a_person_writes(tmp_path: Path) -> None:
    from visiondesk.engine.pdf_pages import PageRangeInvalid, page_numbers

    assert page_numbers("3-5, 9", 12) == [3, 4, 5, 9]
    assert page_numbers("9，2–3, 3", 12) == [9, 2, 3]  # Chinese comma, en dash, each page once, in the order asked
    for bad in ("", "0", "13", "5-3", "a-b", "1-2-3", "2,,4"):
        with pytest.raises(PageRangeInvalid) as caught:
            page_numbers(bad, 12)
        assert caught.value.total == 12 and str(caught.value).endswith("write pages as 3-5, 9.")
    pdf = write_pdf(tmp_path / "contract.pdf", 11, (200, 260))
    drawn = pdf_pages(ImageSource(path=pdf), 8, page_numbers("10-11, 2", 11))
    assert [p.name for p in drawn.pages] == ["contract p.10.png", "contract p.11.png", "contract p.2.png"]
    assert (drawn.total, drawn.asked, drawn.cut) == (11, 3, False)
    middle = Image.open(io.BytesIO(drawn.pages[0].data or b"")).getpixel((200, 200))
    assert all(abs(a - b) <= 6 for a, b in zip(middle, COLORS[9 % 4], strict=True))  # page 10's colour
    assert pdf_pages(ImageSource(path=pdf), 2, list(range(1, 12))).cut  # more asked than may go: cut


def test_looking_for_a_pdf_never_waits_on_a_named_pipe_or_a_device(tmp_path: Path) -> None:
    """Opening a FIFO with no writer blocks forever: the check reads regular files only (without blocking)."""
    import os
    import threading

    fifo = tmp_path / "scan.pdf"
    os.mkfifo(fifo)
    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.extend(is_pdf(ImageSource(path=p)) for p in
                                                         (fifo, Path("/dev/zero"), tmp_path)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive() and seen == [False, False, False]
