"""Screenshots of the desktop app for docs/screenshots/ (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python packaging/screenshots.py

Shots: the first-run screen, the model manager, a conversation with two images and a Markdown table answer, the
Chinese UI and the dark theme. The conversation is inserted into the store directly.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from PySide6.QtCore import QEventLoop, QTimer
from visiondesk.core.paths import DataPaths
from visiondesk.core.settings import Settings, SettingsRepository
from visiondesk.desktop.app import make_application

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ANSWER = """Here is the chart as a table:

| Month | Sales | Change |
|---|---|---|
| January | 1,200 | — |
| February | 1,450 | +20.8% |
| March | 1,380 | −4.8% |

**Summary:** sales peaked in February. The receipt shows a total of **42.50 EUR**.

```python
total = sum([12.00, 18.50, 12.00])
```
"""


def pump(ms: int = 400) -> None:
    """Run the event loop for a while."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


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


def shot(window, name: str) -> None:
    """Grab the window into docs/screenshots/."""
    pump()
    path = OUT / name
    window.grab().save(str(path), "PNG", 9)
    print(path, path.stat().st_size // 1024, "KB")  # noqa: T201


def open_shell(data: Path, **settings: object):
    """A window on ``data`` with these settings."""
    from visiondesk.desktop.shell import AppShell

    s = Settings(language="en", theme="light")
    for k, v in settings.items():
        setattr(s, k, v)
    SettingsRepository(DataPaths.at(data).settings).save(s)
    shell = AppShell(data)
    shell.window.resize(1100, 720)
    shell.window.show()
    return shell


def main() -> int:
    """Take every screenshot."""
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vd-shots-"))
    os.environ["VISIONDESK_DATA_DIR"] = str(work / "first")
    app = make_application([])
    first = open_shell(work / "first")
    shot(first.window, "first-run.png")
    first.window.first_run.get_model_button.click()  # the model manager, with this machine's fit verdicts
    manager = first.model.model_manager
    manager.dialog.resize(1000, 640)
    manager.dialog.catalog_table.selectRow(2)
    pump(1500)
    shot(manager.dialog, "model-manager.png")
    first.shutdown()
    first.window.close()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from model_factory import write_test_models

    models = write_test_models(work / "models")
    data = work / "chat"
    data.mkdir()
    from visiondesk.core.store import ConversationStore

    paths = DataPaths.at(data)
    store = ConversationStore(paths.conversations_db, paths.attachments)
    for title in ("Kitchen receipt", "Holiday photos", "Lab notebook page"):
        store.create_conversation(title)
    conv = store.create_conversation("Q1 sales chart")
    store.add_message(conv.id, "user", "Turn this chart into a table, and what is the receipt total?",
                      pictures(work))
    store.add_message(conv.id, "assistant", ANSWER, stats={
        "stop_reason": "end", "ttft_ms": 412.0, "decode_tok_s": 38.6, "completion_tokens": 96})
    store.close()
    kw = {"model_path": str(models.model), "mmproj_path": str(models.mmproj)}
    for name, extra in (("conversation.png", {}), ("chinese-ui.png", {"language": "zh_CN"}),
                        ("dark-theme.png", {"theme": "dark"})):
        shell = open_shell(data, **kw, **extra)
        loop = QEventLoop()
        shell.model.state_changed.connect(lambda st, lp=loop: lp.quit() if st in ("loaded", "failed") else None)
        if shell.model.state == "loading":
            loop.exec()
        shell.conversations.select(conv.id)
        shell.window.composer.edit.setPlainText("" if extra else "Which month had the largest drop?")
        pump(800)
        shot(shell.window, name)
        shell.shutdown()
        shell.window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
