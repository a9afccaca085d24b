"""Images attached in the composer are encoded while the question is typed (issue 24, item 1).

The window's local engine (real llama.cpp, the generated pair) reports what it encoded ahead
(``LocalEngine.prepared``); each answer's ``Usage`` says what it encoded itself.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt

from tests.desktop.test_desktop_chat import send


def engine_of(shell):  # noqa: ANN001, ANN201
    """The window's local engine (made by the engine thread's backend factory)."""
    engine = shell.engine.worker._engine  # noqa: SLF001
    assert engine is not None and hasattr(engine, "prepared")
    return engine


def prepared_until(qtbot, shell, done, timeout: int = 60_000):  # noqa: ANN001, ANN201
    """Wait until the engine's report on images encoded ahead satisfies ``done``; return it."""
    seen = []
    qtbot.waitUntil(lambda: (seen.append(engine_of(shell).prepared) or done(seen[-1])), timeout=timeout)
    return seen[-1]


def picture(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = folder / f"{name}.png"
    img = Image.new("RGB", (80, 60), colour)
    for x in range(0, 80, 6):
        img.putpixel((x, x % 60), (255, 255, 255))
    img.save(path)
    return path


def test_an_image_attached_in_the_composer_is_encoded_ahead_and_send_reuses_it(qtbot, shell, tmp_path):
    with qtbot.waitSignal(shell.composer.prepare_requested, timeout=10_000) as asked:
        shell.composer.add_files([picture(tmp_path, "chart", (200, 40, 40))])
    [attachment] = asked.args[0]
    state = prepared_until(qtbot, shell, lambda s: s.prefixes == 1)  # encoded, and the new chat read up to it
    assert state.ready == (attachment.digest,) and state.encoded == 1
    fin = send(qtbot, shell, "What does the chart show?")
    assert fin.error is None
    assert fin.usage.images_encoded == 0 and fin.timings.encode_ms == 0  # found encoded: no second encode
    assert fin.usage.prompt_tokens - fin.usage.prompt_tokens_evaluated >= 16  # the image was read ahead too
    assert engine_of(shell).prepared.encoded == 1


def test_removing_an_attached_image_cancels_its_encoding(qtbot, shell, tmp_path):
    shell.composer.add_files([picture(tmp_path, "first", (40, 200, 40))])
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
    [item] = shell.composer.pending
    prepared_until(qtbot, shell, lambda s: item.attachment.digest in s.ready)
    with qtbot.waitSignal(shell.composer.prepare_dropped, timeout=5_000) as dropped:
        qtbot.mouseClick(item.chip.remove_button, Qt.MouseButton.LeftButton)
    assert dropped.args[0] == [item.attachment]
    state = prepared_until(qtbot, shell, lambda s: s.dropped == 1)
    assert state.ready == () and state.waiting == ()
    # Leaving an unsent image behind another way (a new chat empties the composer) withdraws it too.
    shell.composer.add_files([picture(tmp_path, "second", (40, 40, 200))])
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
    second = shell.composer.pending[0].attachment
    prepared_until(qtbot, shell, lambda s: second.digest in s.ready)
    shell.conversations.new_chat()
    qtbot.waitUntil(lambda: not shell.composer.pending, timeout=5_000)
    assert prepared_until(qtbot, shell, lambda s: s.dropped == 2).ready == ()
    # Nothing of it stayed in the engine: sending it now encodes it again (ahead, or in the answer).
    before = engine_of(shell).prepared.encoded
    fin = send(qtbot, shell, "And this one?", [picture(tmp_path, "second", (40, 40, 200))])
    assert fin.error is None
    assert fin.usage.images_encoded + engine_of(shell).prepared.encoded - before == 1
