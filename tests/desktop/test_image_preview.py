""""What the model sees" in the app: previews and token counts before sending, on a Qwen2.5-VL pair.

Qwen2.5-VL reads an image at its own resolution, so a small and a mid-size picture take different
numbers of tokens; the counts shown must be what the engine then evaluates, and change with the
model's image budget.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.desktop.conftest import open_shell, write_settings
from tests.desktop.test_desktop_chat import send
from tests.families.families import FAMILIES_BY_NAME


@pytest.fixture
def qwen_app(data_dir: Path, tmp_path: Path) -> Path:
    model, mmproj = FAMILIES_BY_NAME["qwen2.5-vl"].write(tmp_path / "qwen")
    write_settings(data_dir, model_path=str(model), mmproj_path=str(mmproj), threads=1)
    return data_dir


@pytest.fixture
def pictures(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, size in (("small", (48, 40)), ("mid", (240, 160))):
        img = Image.new("RGB", size, (200, 60, 40))
        for x in range(0, size[0], 6):
            img.putpixel((x, (x * 5) % size[1]), (255, 255, 255))
        out[name] = tmp_path / f"{name}.png"
        img.save(out[name])
    return out


def _cards(qtbot, shell, n: int) -> list:
    view = shell.image_preview.view
    try:
        qtbot.waitUntil(lambda: shell.image_preview.plan is not None and len(view.cards()) == n, timeout=30_000)
    except Exception:
        raise AssertionError(view.context_label.text()) from None
    return view.cards()


def test_preview_and_counts_before_sending(qtbot, qwen_app: Path, pictures: dict[str, Path]) -> None:
    shell = open_shell(qtbot, qwen_app)
    # The images go with Send, not encoded and read ahead (test_desktop_prepare_images): so the answer below
    # evaluates the whole prompt, which the plan must have counted.
    shell.composer.prepare_requested.disconnect()
    view = shell.image_preview.view
    assert view.isHidden()
    shell.window.composer.edit.setPlainText("What is written here?")
    shell.composer.add_files([pictures["small"]])
    small_card = _cards(qtbot, shell, 1)[0]
    small = shell.image_preview.pending_images()[0]
    assert not small_card.picture.pixmap().isNull() and view.isVisible()
    assert f"{small.n_tokens:,} tokens" in small_card.caption.text() and "read as 48×40" in small_card.caption.text()
    shell.composer.add_files([pictures["mid"]])
    cards = _cards(qtbot, shell, 2)
    plan = shell.image_preview.plan
    mid = shell.image_preview.pending_images()[1]
    assert mid.n_tokens > 4 * small.n_tokens  # the mid-size picture takes more tokens: native resolution
    assert f"{mid.n_tokens:,} tokens" in cards[1].caption.text() and "read as 240×160" in cards[1].caption.text()
    assert cards[1].picture.pixmap().width() > cards[0].picture.pixmap().width() // 2
    assert f"{plan.prompt_tokens:,} of 2,048 tokens" in view.context_label.text()
    # Typing counts too: a longer question is planned again once typing pauses.
    shell.window.composer.edit.setPlainText("What is written here, line by line, in the order it appears?")
    qtbot.waitUntil(lambda: shell.image_preview.plan is not None
                    and shell.image_preview.plan.prompt_tokens > plan.prompt_tokens, timeout=30_000)
    plan = shell.image_preview.plan
    assert f"{plan.prompt_tokens:,} of 2,048 tokens" in view.context_label.text()
    fin = send(qtbot, shell, "What is written here, line by line, in the order it appears?")
    assert fin.error is None
    assert fin.usage.prompt_tokens == plan.prompt_tokens  # what was shown is what the engine evaluated
    assert fin.usage.prompt_tokens_evaluated == plan.prompt_tokens
    assert view.isHidden()  # the images went with the message

    # A follow-up in the same conversation: the context line counts the conversation so far.
    shell.window.composer.edit.setPlainText("And this one?")
    shell.composer.add_files([pictures["mid"]])
    _cards(qtbot, shell, 1)
    follow = shell.image_preview.plan
    assert len(follow.images) == 3 and shell.image_preview.pending_images() == follow.images[2:]
    assert follow.prompt_tokens > plan.prompt_tokens + mid.n_tokens
    fin = send(qtbot, shell, "And this one?")
    assert fin.error is None and fin.usage.prompt_tokens == follow.prompt_tokens


def test_preview_follows_the_image_budget(qtbot, qwen_app: Path, pictures: dict[str, Path]) -> None:
    shell = open_shell(qtbot, qwen_app)
    shell.composer.add_files([pictures["mid"]])
    _cards(qtbot, shell, 1)
    before = shell.image_preview.pending_images()[0].n_tokens
    dialog = shell.settings_controller.open()
    assert dialog.image_budget.value() == 0 and dialog.image_budget.text() == "The model's own"
    dialog.image_budget.setValue(32)
    shell.image_preview.plan = None
    dialog.accept()  # the budget applies at load: the model reloads and the preview is planned again
    assert shell.settings.image_budgets == {shell.settings.model_path: 32}  # kept per model
    card = _cards(qtbot, shell, 1)[0]
    after = shell.image_preview.pending_images()[0].n_tokens
    assert after <= 32 + 2 < before
    assert f"{after:,} tokens" in card.caption.text()
