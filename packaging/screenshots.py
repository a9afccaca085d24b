"""Screenshots of the desktop app for docs/screenshots/, in English and Chinese, light and dark (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python packaging/screenshots.py

States: the first run, the model manager, a conversation with images while an answer is being written, the
model switcher open, a conversation whose context is nearly full, a model that failed to load (the working one
stays), and the settings. Files: ``<state>-<en|zh>-<light|dark>.png``. Conversations are put into the store
directly; the models are the generated test models, loaded for real.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from visiondesk.core.paths import DataPaths
from visiondesk.core.settings import Settings, SettingsRepository
from visiondesk.desktop.app import make_application

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
TEXTS = {
    "en": {
        "titles": ("Kitchen receipt", "Holiday photos", "Lab notebook page"),
        "chart": "Q1 sales chart", "long": "Scanned contract, 40 pages",
        "question": "Turn this chart into a table, and what is the receipt total?",
        "answer": "Here is the chart as a table:\n\n| Month | Sales | Change |\n|---|---|---|\n"
                  "| January | 1,200 | — |\n| February | 1,450 | +20.8% |\n| March | 1,380 | −4.8% |\n\n"
                  "**Summary:** sales peaked in February. The receipt shows a total of **42.50 EUR**.\n\n"
                  "```python\ntotal = sum([12.00, 18.50, 12.00])\n```\n",
        "follow": "Which month had the largest drop?",
        "partial": "March: sales fell from 1,450 to 1,380, a drop of",
        "long_q": "Summarise the obligations of each party on these pages.",
        "long_a": "**Supplier:** deliver within 30 days, replace faulty parts, keep the data confidential.\n\n"
                  "**Customer:** pay within 45 days of the invoice, give access to the site.",
    },
    "zh": {
        "titles": ("厨房收据", "假期照片", "实验记录本的一页"),
        "chart": "第一季度销售图表", "long": "扫描的合同（40 页）",
        "question": "把这张图表整理成表格，收据上的总金额是多少？",
        "answer": "图表整理如下：\n\n| 月份 | 销售额 | 变化 |\n|---|---|---|\n"
                  "| 一月 | 1,200 | — |\n| 二月 | 1,450 | +20.8% |\n| 三月 | 1,380 | −4.8% |\n\n"
                  "**小结**：二月销售额最高。收据上的总金额为 **42.50 欧元**。\n\n"
                  "```python\ntotal = sum([12.00, 18.50, 12.00])\n```\n",
        "follow": "哪个月下降得最多？",
        "partial": "三月：销售额从 1,450 降到 1,380，下降了",
        "long_q": "总结这些页面中双方各自的义务。",
        "long_a": "**供应方**：30 天内交货，更换有缺陷的零件，对数据保密。\n\n"
                  "**客户**：收到发票后 45 天内付款，提供现场访问。",
    },
}


def pump(ms: int = 400) -> None:
    """Run the event loop for a while."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition, timeout_ms: int = 30_000) -> None:  # noqa: ANN001 - a zero-argument predicate
    """Run the event loop until ``condition()`` holds."""
    waited = 0
    while not condition() and waited < timeout_ms:
        pump(50)
        waited += 50


def pictures(folder: Path) -> list[Path]:
    """A chart and a receipt to attach."""
    chart = Image.new("RGB", (480, 320), "white")
    d = ImageDraw.Draw(chart)
    for i, h in enumerate((120, 145, 138)):
        d.rectangle([60 + i * 130, 300 - h * 1.8, 140 + i * 130, 300], fill=(61, 111, 180))
    receipt = Image.new("RGB", (260, 380), (250, 247, 240))
    d = ImageDraw.Draw(receipt)
    for y in range(30, 340, 28):
        d.line([20, y, 240, y], fill=(180, 180, 180), width=2)
    paths = [folder / "sales-chart.png", folder / "receipt.png"]
    chart.save(paths[0])
    receipt.save(paths[1])
    return paths


def shot(widget: QWidget, name: str, whole_screen: bool = False) -> None:
    """Grab ``widget`` (or the screen where it is, to include a popup) into docs/screenshots/."""
    pump()
    path = OUT / name
    if whole_screen:
        g = widget.frameGeometry()
        image = QGuiApplication.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height())
    else:
        image = widget.grab()
    image.save(str(path), "PNG", 9)
    print(path.name, path.stat().st_size // 1024, "KB")  # noqa: T201


def open_shell(data: Path, **settings: object):  # noqa: ANN201 - an AppShell
    """A window on ``data`` with these settings, its model loaded (if any)."""
    from visiondesk.desktop.shell import AppShell

    s = Settings(language="en", theme="light")
    for k, v in settings.items():
        setattr(s, k, v)
    SettingsRepository(DataPaths.at(data).settings).save(s)
    shell = AppShell(data)
    shell.window.resize(1100, 720)
    shell.window.move(0, 0)
    shell.window.show()
    wait_for(lambda: shell.model.state in ("none", "loaded", "failed"))
    return shell


def fill_store(data: Path, words: dict, images: list[Path]) -> tuple[int, int]:
    """Conversations for the shots; returns (the chart conversation, the nearly full one)."""
    from visiondesk.core.store import ConversationStore

    paths = DataPaths.at(data).create()
    store = ConversationStore(paths.conversations_db, paths.attachments)
    for title in words["titles"]:
        store.create_conversation(title)
    full = store.create_conversation(words["long"])
    store.add_message(full.id, "user", words["long_q"], images[1:])
    store.add_message(full.id, "assistant", words["long_a"], stats={
        "stop_reason": "end", "ttft_ms": 2210.0, "decode_tok_s": 31.4, "completion_tokens": 58,
        "prompt_tokens": 3_640})
    conv = store.create_conversation(words["chart"])
    store.add_message(conv.id, "user", words["question"], images)
    store.add_message(conv.id, "assistant", words["answer"], stats={
        "stop_reason": "end", "ttft_ms": 412.0, "decode_tok_s": 38.6, "completion_tokens": 96,
        "prompt_tokens": 702})
    store.add_message(conv.id, "user", words["follow"])
    store.close()
    return conv.id, full.id


def take(work: Path, models, lang: str, theme: str) -> None:  # noqa: ANN001 - GeneratedModels
    """Every state in one language and theme."""
    tag = f"{'zh' if lang == 'zh_CN' else 'en'}-{theme}"
    words = TEXTS["zh" if lang == "zh_CN" else "en"]
    first = open_shell(work / f"first-{tag}", language=lang, theme=theme)
    shot(first.window, f"first-run-{tag}.png")
    first.window.first_run.get_model_button.click()
    manager = first.model.model_manager
    manager.dialog.resize(1000, 640)
    manager.dialog.catalog_table.selectRow(2)
    pump(1500)
    shot(manager.dialog, f"model-manager-{tag}.png")
    first.shutdown()
    first.window.close()

    data = work / f"chat-{tag}"
    folder = work / f"pictures-{tag}"
    folder.mkdir()
    conv, full = fill_store(data, words, pictures(folder))
    shell = open_shell(data, model_path=str(models.model), mmproj_path=str(models.mmproj), language=lang,
                       theme=theme, context_size=4096)
    shell.conversations.select(conv)
    shell.presenter.flush()
    last = max(shell.presenter.records)  # an answer being written: the state line and the text so far
    shell.presenter.add(last + 1, "assistant", words["partial"], [])
    shell.presenter.set_status(last + 1, shell.chat.tr("Writing…"), "stage")
    shell.presenter.set_idle_actions(False)  # as while an answer streams
    shell.composer.set_busy(True)
    shot(shell.window, f"chat-{tag}.png")
    shell.composer.set_busy(False)
    shell.conversations.select(conv)
    shell.window.header.switcher.showPopup()
    shot(shell.window, f"model-switcher-{tag}.png", whole_screen=True)
    shell.window.header.switcher.hidePopup()
    shell.conversations.select(full)
    shot(shell.window, f"context-full-{tag}.png")
    broken = work / f"broken-{tag}" / "qwen2.5-vl-7b-instruct-q4_k_m.gguf"
    broken.parent.mkdir()
    broken.write_bytes(models.model.read_bytes()[:4096])
    shell.model.use_files(broken, None)
    wait_for(lambda: bool(shell.model.last_error))
    shot(shell.window, f"error-{tag}.png")
    dialog = shell.settings_controller.open()
    pump(300)
    shot(dialog, f"settings-{tag}.png")
    dialog.reject()
    shell.shutdown()
    shell.window.close()


def main() -> int:
    """Take every screenshot."""
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vd-shots-"))
    os.environ["VISIONDESK_DATA_DIR"] = str(work / "unused")
    app = make_application([])
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from model_factory import write_test_models

    models = write_test_models(work / "models")
    for lang in ("en", "zh_CN"):
        for theme in ("light", "dark"):
            take(work, models, lang, theme)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
