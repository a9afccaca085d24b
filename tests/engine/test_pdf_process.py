"""PDFium runs in a process of its own: a crash or a hang there is a message, and the next PDF is drawn.

Real processes and real PDFium. The process is first stopped (SIGSTOP) so that a request sent to it is known to
be waiting in its pipe, unread; then the "crash" is a SIGKILL, which the parent sees as a native crash (the pipe
ends in the middle of a request), and the "hang" is leaving it stopped until its silence runs out.
"""

from __future__ import annotations

import array
import fcntl
import os
import pickle
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


def _stopped(pid: int | None) -> int:
    """SIGSTOP the process and wait until it is stopped (the signal lands when it is next scheduled)."""
    assert pid is not None and pid > 0  # never os.kill(0, ...): that would stop pytest's whole process group
    os.kill(pid, signal.SIGSTOP)
    until = time.monotonic() + 30
    while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < until, "the PDF process did not stop"
        time.sleep(0.01)
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
    crashed = _stopped(process.pid)
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

    pid = _stopped(pdf_process().pid)
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
    stuck = _stopped(pdf_process().pid)
    started = time.monotonic()
    with pytest.raises(PdfUnreadable) as caught:
        pdf_pages(source)
    waited = time.monotonic() - started
    assert caught.value.reason_code == "stuck" and "took over a minute and was stopped" in str(caught.value)
    assert 1.0 <= waited < 15 and pdf_process().pid is None
    assert not Path(f"/proc/{stuck}").exists()  # killed and reaped, not left stopped


def test_a_message_that_breaks_off_fails_its_request_and_the_next_gets_its_own_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reply that cannot be read (here: a failure injected into reading, the named fault) must not leave the
    request's other replies in the pipe for the next request to take as its own."""
    process = PdfProcess()
    three = wire.Source("three.pdf", str(write_pdf(tmp_path / "three.pdf", 3)))
    real_read, calls = wire.read, []

    def breaks_on_the_second(stream: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise pickle.UnpicklingError("a damaged message")
        return real_read(stream)  # type: ignore[arg-type]

    monkeypatch.setattr(wire, "read", breaks_on_the_second)
    with pytest.raises(PdfProcessFailed) as caught:
        process.ask(wire.DrawPages(three, 8))
    assert caught.value.reason == "crashed" and process.pid is None
    monkeypatch.setattr(wire, "read", real_read)
    one = wire.Source("one.pdf", str(write_pdf(tmp_path / "one.pdf", 1)))
    replies = process.ask(wire.DrawPages(one, 8))
    assert [type(r) for r in replies] == [wire.PageDrawn, wire.Drawn] and replies[-1] == wire.Drawn(1, 1)
    process.close()


def test_only_message_classes_are_unpickled() -> None:
    """The process that reads untrusted PDFs cannot make the app run code by what it sends back."""
    import io

    evil = pickle.dumps(os.system)  # would name os.system, a callable
    with pytest.raises(pickle.UnpicklingError, match="not a PDF process message"):
        wire.read(io.BytesIO(len(evil).to_bytes(8, "big") + evil))
    with pytest.raises(ValueError, match="no message"):
        wire.read(io.BytesIO((wire.MAX_MESSAGE + 1).to_bytes(8, "big")))
    good = io.BytesIO()
    wire.write(good, wire.DrawPages(wire.Source("a.pdf", "/a.pdf"), 8, (1, 3)))
    good.seek(0)
    assert wire.read(good) == wire.DrawPages(wire.Source("a.pdf", "/a.pdf"), 8, (1, 3))


def heavy_pdf(path: Path, shapes: int) -> Path:
    """A one-page PDF of ``shapes`` large random triangles: seconds of PDFium's time to draw (20,000: ~12 s on
    the 2-core development VM)."""
    import random
    import zlib

    rnd = random.Random(1)
    ops = "".join(" ".join(f"{rnd.uniform(0, 600):.1f} {rnd.uniform(0, 780):.1f} {op}" for op in ("m", "l", "l"))
                  + " h f\n" for _ in range(shapes)).encode()
    stream = zlib.compress(ops)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


DRAWING_PARENT = """
import sys, threading, time
from visiondesk.engine import pdf_protocol as wire
from visiondesk.engine.pdf_process import PdfProcess

def cpu_ticks(pid):
    return sum(int(x) for x in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])

process, heavy = PdfProcess(), wire.Source("heavy.pdf", sys.argv[1])
process.ask(wire.CountPages(heavy))
before = cpu_ticks(process.pid)
threading.Thread(target=process.ask, args=(wire.DrawPages(heavy, 1),), daemon=True).start()
while cpu_ticks(process.pid) < before + 30:  # drawing: 0.3 s of CPU into a page of seconds
    time.sleep(0.02)
print(process.pid, flush=True)
time.sleep(300)
"""


def test_the_pdf_process_ends_with_its_parent_even_in_the_middle_of_a_page(tmp_path: Path) -> None:
    from tests.engine.test_shutdown import kill_parent_and_time_the_child

    heavy = heavy_pdf(tmp_path / "heavy.pdf", 20_000)
    # Without the watch it would draw on for seconds, then find the pipe gone; with it, it ends within a second.
    assert kill_parent_and_time_the_child([DRAWING_PARENT, str(heavy)]) < 2.0


def test_a_process_that_dies_of_an_error_leaves_why_in_its_log(tmp_path: Path) -> None:
    process = PdfProcess()
    process.stderr_log = tmp_path / "pdf-stderr.log"
    odd = wire.DrawPages(wire.Source("a.pdf", str(write_pdf(tmp_path / "a.pdf", 1))), "8")  # type: ignore[arg-type]
    with pytest.raises(PdfProcessFailed) as caught:
        process.ask(odd)  # a request its code cannot take: it dies of a TypeError
    said = process.stderr_log.read_text()
    assert caught.value.reason == "crashed" and "Traceback" in said and "TypeError" in said
    process.close()


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
