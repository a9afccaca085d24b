"""PDFium runs in a process of its own: a crash or a hang there is a message, and the next PDF is drawn.

Real processes and real PDFium. The process is first stopped (SIGSTOP) so that a request sent to it is known to
be waiting in its pipe, unread; then the "crash" is a SIGKILL, which the parent sees as a native crash (the pipe
ends in the middle of a request), and the "hang" is leaving it stopped until its silence runs out.
"""

from __future__ import annotations

import array
import fcntl
import os
import signal
import termios
import threading
import time
from pathlib import Path

import pytest
from visiondesk.engine import ImageSource
from visiondesk.engine import pdf_protocol as wire
from visiondesk.engine.pdf_pages import PdfUnreadable, page_count, pdf_pages
from visiondesk.engine.pdf_process import PdfProcess, PdfProcessFailed, pdf_process

from tests.engine.test_pdf_pages import write_pdf


def _stopped(pid: int) -> int:
    os.kill(pid, signal.SIGSTOP)
    return pid


def _wait_for_unread_request(pid: int, timeout: float = 30.0) -> None:
    """Until the stopped process's input pipe holds a request (bytes it has not read)."""
    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    try:
        until = time.monotonic() + timeout
        waiting = array.array("i", [0])
        while fcntl.ioctl(fd, termios.FIONREAD, waiting) == 0 and waiting[0] == 0:
            assert time.monotonic() < until, "the request never reached the process"
            time.sleep(0.02)
    finally:
        os.close(fd)


def _pdfium_mapped() -> bool:
    return "pdfium" in Path("/proc/self/maps").read_text()


def _ask_in_thread(process: PdfProcess, request: wire.Request) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(process.ask(request))
        except PdfProcessFailed as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_pages_are_drawn_in_another_process_never_in_this_one(tmp_path: Path) -> None:
    drawn = pdf_pages(ImageSource(path=write_pdf(tmp_path / "bill.pdf", 2)))
    assert [p.name for p in drawn.pages] == ["bill p.1.png", "bill p.2.png"]
    pid = pdf_process().pid
    assert pid is not None and pid != os.getpid()
    assert "pdfium" in Path(f"/proc/{pid}/maps").read_text()
    assert not _pdfium_mapped()  # PDFium's library was never loaded into this process


def test_a_crash_in_the_middle_of_a_request_is_said_and_the_next_pdf_is_drawn(tmp_path: Path) -> None:
    process = PdfProcess()
    pdf = wire.Source("bill.pdf", str(write_pdf(tmp_path / "bill.pdf", 2)))
    assert process.ask(wire.CountPages(pdf)) == [wire.Counted(2)]
    crashed = _stopped(process.pid or 0)
    thread, outcome = _ask_in_thread(process, wire.DrawPages(pdf, 8))
    _wait_for_unread_request(crashed)
    os.kill(crashed, signal.SIGKILL)
    thread.join(30)
    assert not thread.is_alive() and isinstance(outcome[0], PdfProcessFailed) and outcome[0].reason == "crashed"
    assert process.pid is None
    replies = process.ask(wire.DrawPages(pdf, 8))
    assert [type(r) for r in replies] == [wire.PageDrawn, wire.PageDrawn, wire.Drawn]
    assert process.pid not in (None, crashed)
    process.close()


def test_a_crash_reads_as_a_sentence_with_what_to_do(tmp_path: Path) -> None:
    source = ImageSource(path=write_pdf(tmp_path / "statement.pdf", 1))
    assert page_count(source) == 1
    caught: list[PdfUnreadable] = []

    def draw() -> None:
        try:
            pdf_pages(source)
        except PdfUnreadable as exc:
            caught.append(exc)

    pid = _stopped(pdf_process().pid or 0)
    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    _wait_for_unread_request(pid)
    os.kill(pid, signal.SIGKILL)
    thread.join(30)
    assert caught and caught[0].reason_code == "crashed"
    assert str(caught[0]).startswith("Cannot read the PDF statement.pdf: the PDF reader stopped while drawing it")
    assert len(pdf_pages(source).pages) == 1  # the same file, asked again: a fresh process draws it


def test_a_process_that_stops_answering_is_killed_after_its_silence(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = ImageSource(path=write_pdf(tmp_path / "endless.pdf", 1))
    assert page_count(source) == 1
    monkeypatch.setattr(pdf_process(), "silence_s", 1.0)
    stuck = _stopped(pdf_process().pid or 0)
    started = time.monotonic()
    with pytest.raises(PdfUnreadable) as caught:
        pdf_pages(source)
    waited = time.monotonic() - started
    assert caught.value.reason_code == "stuck" and "took over a minute and was stopped" in str(caught.value)
    assert 1.0 <= waited < 15 and pdf_process().pid is None
    assert not Path(f"/proc/{stuck}").exists()  # killed and reaped, not left stopped


def test_a_file_gone_before_it_is_drawn_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(PdfUnreadable) as caught:
        pdf_pages(ImageSource(path=tmp_path / "moved away.pdf"))
    assert caught.value.reason_code == "unopenable" and "FileNotFoundError" in caught.value.detail
    assert str(caught.value).startswith("Cannot read the PDF moved away.pdf: the file could not be opened.")
    assert pdf_process().pid is not None  # a refusal, not a crash: the process stays


def test_a_process_killed_while_idle_is_replaced_for_the_next_request(tmp_path: Path) -> None:
    process = PdfProcess()
    pdf = wire.Source("a.pdf", str(write_pdf(tmp_path / "a.pdf", 3)))
    assert process.ask(wire.CountPages(pdf)) == [wire.Counted(3)]
    first = process.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    time.sleep(0.2)
    assert process.ask(wire.CountPages(pdf)) == [wire.Counted(3)]  # not the damaged-file message
    assert process.pid not in (None, first)
    process.close()


def test_an_unused_process_ends_and_gives_its_memory_back(tmp_path: Path) -> None:
    process = PdfProcess(idle_s=0.3)
    process.ask(wire.CountPages(wire.Source("a.pdf", str(write_pdf(tmp_path / "a.pdf", 1)))))
    pid = process.pid
    assert pid is not None
    until = time.monotonic() + 10
    while (process.pid is not None or Path(f"/proc/{pid}").exists()) and time.monotonic() < until:
        time.sleep(0.05)
    assert process.pid is None and not Path(f"/proc/{pid}").exists()


def test_threads_drawing_at_once_each_get_their_own_pages(tmp_path: Path) -> None:
    pdfs = [write_pdf(tmp_path / f"doc{i}.pdf", i + 1, (200, 260)) for i in range(4)]
    results: dict[int, list[str]] = {}

    def draw(i: int) -> None:
        results[i] = [p.name or "" for p in pdf_pages(ImageSource(path=pdfs[i])).pages]

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(4) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {i: [f"doc{i} p.{n}.png" for n in range(1, i + 2)] for i in range(4)}
