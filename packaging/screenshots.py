"""Screenshots of the desktop app for docs/screenshots/, in English and Chinese, light and dark (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python packaging/screenshots.py

States: the first run, the model manager, a conversation with images while an answer is being written, the
model switcher open, a conversation whose context is nearly full, maths homework (formulas drawn), a model that
failed to load (the working one stays), the settings, and the Batch page part-way through a folder of receipts.
Files:
``<state>-<en|zh>-<light|dark>.png``. Conversations are put into the store
directly; the models are the generated test models, loaded for real.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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
        "homework": "Maths homework, question 3",
        "homework_q": "How do I solve question 3? And the area of the garden?",
        "homework_a": ("Question 3 asks for the roots of $x^2 - 5x + 6 = 0$. With the quadratic formula\n\n"
                       "$$x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} = \\frac{5 \\pm 1}{2}$$\n\n"
                       "so \\(x_1 = 2\\) and \\(x_2 = 3\\). Check: $2^2 - 5 \\cdot 2 + 6 = 0$.\n\n"
                       "The garden is $5\\text{ m} \\times 3\\text{ m} = 15\\text{ m}^2$; the fence costs $4 a metre, "
                       "so $16 \\times 4 = 64$ dollars. Walking once round it in 8 seconds is "
                       "$v = \\frac{\\text{distance}}{\\text{time}} = \\frac{16\\text{ m}}{8\\text{ s}} = 2$ m/s."),
        "long_q": "Summarise the obligations of each party on these pages.",
        "long_a": "**Supplier:** deliver within 30 days, replace faulty parts, keep the data confidential.\n\n"
                  "**Customer:** pay within 45 days of the invoice, give access to the site.",
        "receipts": (("Corner Bakery", "EUR", (("Sourdough loaf", 1, 4.2), ("Croissant", 2, 3.0)), 7.2),
                     ("City Pharmacy", "EUR", (("Plasters", 1, 3.95), ("Vitamin C", 1, 6.5)), 10.45),
                     ("Green Grocer", "EUR", (("Apples 1 kg", 1, 2.99), ("Tomatoes", 2, 3.4), ("Basil", 1, 1.5)),
                      7.89)),
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
        "homework": "数学作业第 3 题",
        "homework_q": "第 3 题怎么做？花园的面积是多少？",
        "homework_a": ("第 3 题要求方程 $x^2 - 5x + 6 = 0$ 的根。用求根公式\n\n"
                       "$$x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} = \\frac{5 \\pm 1}{2}$$\n\n"
                       "得到 \\(x_1 = 2\\)，\\(x_2 = 3\\)。检验：$2^2 - 5 \\cdot 2 + 6 = 0$。\n\n"
                       "花园面积是 $5\\text{米} \\times 3\\text{米} = 15\\text{平方米}$；篱笆每米 4 元，"
                       "周长 $2 \\times (5 + 3) = 16$ 米，共 64 元。绕花园走一圈用 8 秒，速度 "
                       "$v = \\frac{\\text{路程}}{\\text{时间}} = \\frac{16\\text{米}}{8\\text{秒}} = 2$ 米/秒。"),
        "long_q": "总结这些页面中双方各自的义务。",
        "long_a": "**供应方**：30 天内交货，更换有缺陷的零件，对数据保密。\n\n"
                  "**客户**：收到发票后 45 天内付款，提供现场访问。",
        "receipts": (("街角面包房", "CNY", (("全麦面包", 1, 18.0), ("牛角包", 2, 12.0)), 30.0),
                     ("城市药房", "CNY", (("创可贴", 1, 9.5), ("维生素 C", 1, 36.0)), 45.5),
                     ("绿色果蔬店", "CNY", (("苹果 1 公斤", 1, 12.8), ("西红柿", 2, 6.4), ("罗勒", 1, 5.0)), 31.0)),
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


def receipts(folder: Path, count: int) -> list[Path]:
    """Photos of receipts (paper with printed lines) for the Batch page."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        paper = Image.new("RGB", (300, 420), (228 - 6 * i, 222, 210 + 4 * i))
        d = ImageDraw.Draw(paper)
        d.rectangle([40, 20, 260, 400], fill=(252, 251, 246))
        d.rectangle([80, 40, 220, 58], fill=(60, 60, 60))
        for y in range(90, 330 - 12 * (i % 3), 26):
            d.line([60, y, 170, y], fill=(120, 120, 120), width=3)
            d.line([200, y, 240, y], fill=(120, 120, 120), width=3)
        d.rectangle([150, 350, 240, 366], fill=(30, 30, 30))
        paths.append(folder / f"receipt-{i + 1:02d}.jpg")
        paper.save(paths[-1], quality=90)
    return paths


def batch_page(shell, folder: Path, words: dict) -> QWidget:  # noqa: ANN001 - an AppShell
    """The Batch page running over a folder of receipts: the first answers in, the others waiting."""
    from visiondesk.batch import ImageOutcome, ResultRow

    batch = shell.batch
    page = batch.open()
    page.resize(980, 600)
    page.preset.setCurrentIndex(page.preset.findData("receipt"))
    images = receipts(folder, 7)
    batch.set_folder(folder)
    wait_for(lambda: not page.table.item(0, 0).icon().isNull())
    batch._set_state("running")  # as while its job runs (the answers below come as the job's thread sends them)
    for path, (merchant, currency, items, total), seconds in zip(images, words["receipts"], (6.8, 5.9, 7.4),
                                                                 strict=False):  # the first three answered
        answer = {"merchant": merchant, "date": "2026-11-28", "currency": currency,
                  "items": [{"name": n, "quantity": q, "price": p} for n, q, p in items], "total": total}
        batch._on_outcome(ImageOutcome(path, "ok", ResultRow(str(path), "", "ok", "", "receipt", seconds, answer)))
    page.table.scrollToTop()
    return page


def start_server(models, folder: Path) -> tuple[subprocess.Popen[bytes], str] | None:  # noqa: ANN001
    """llama.cpp's llama-server on loopback serving the test pair (as tests/remote runs it); None if not built.

    Its URL names this machine (when that name resolves to loopback, as in the tests): the app then lists its
    model as remote, as it would a server on another machine.
    """
    from remote.llama_server_build import find_server

    binary = find_server()
    if binary is None:
        print("llama-server is not built (tests/remote builds it): the switcher shows local models only")  # noqa: T201
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(folder / "llama-server.log", "wb")  # noqa: SIM115 - the server writes it while it runs
    proc = subprocess.Popen([str(binary), "-m", str(models.model), "--mmproj", str(models.mmproj), "--host",
                             "127.0.0.1", "--port", str(port), "-c", "2048", "-np", "1", "-t", "1", "--no-webui",
                             "--alias", "tiny-vision"], stdout=log, stderr=subprocess.STDOUT)
    host = socket.gethostname()
    loopback = all(a[4][0].startswith("127.") for a in socket.getaddrinfo(host, None))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return proc, f"http://{host if loopback else '127.0.0.1'}:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    return None


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


def worksheet(folder: Path) -> Path:
    """A photographed worksheet: lines of "writing" and a boxed question."""
    page = Image.new("RGB", (360, 480), (252, 252, 248))
    d = ImageDraw.Draw(page)
    for y in range(40, 440, 26):
        d.line([30, y, 330 - (y * 7) % 90, y], fill=(90, 90, 110), width=3)
    d.rectangle([24, 250, 336, 330], outline=(200, 60, 60), width=3)
    path = folder / "worksheet.png"
    page.save(path)
    return path


def fill_store(data: Path, words: dict, images: list[Path]) -> tuple[int, int, int]:
    """Conversations for the shots; returns (the chart conversation, the nearly full one, the homework)."""
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
    homework = store.create_conversation(words["homework"])
    store.add_message(homework.id, "user", words["homework_q"], [worksheet(data.parent)])
    store.add_message(homework.id, "assistant", words["homework_a"], stats={
        "stop_reason": "end", "ttft_ms": 388.0, "decode_tok_s": 36.2, "completion_tokens": 121,
        "prompt_tokens": 651})
    store.close()
    return conv.id, full.id, homework.id


def take(work: Path, models, lang: str, theme: str, server: str | None) -> None:  # noqa: ANN001
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
    conv, full, homework = fill_store(data, words, pictures(folder))
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
    if server:  # its models join the switcher once the app has asked the server for them
        shell.servers.add(server, name="lab")
        shell.model_menu_controller.refresh()
        wait_for(lambda: any(c.kind == "remote" for c in shell.header.choices))
    shell.window.header.switcher.showPopup()
    shot(shell.window, f"model-switcher-{tag}.png", whole_screen=True)
    shell.window.header.switcher.hidePopup()
    shell.conversations.select(full)
    shot(shell.window, f"context-full-{tag}.png")
    shell.conversations.select(homework)
    shell.presenter.flush()
    pump(600)  # the formula drawer loads off the UI thread, then draws
    shell.presenter.retranslate()
    shot(shell.window, f"homework-{tag}.png")
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
    page = batch_page(shell, work / tag / "Receipts", words)
    shot(page, f"batch-{tag}.png")
    shell.batch._set_state("ready")
    page.close()
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
    server = start_server(models, work)
    try:
        for lang in ("en", "zh_CN"):
            for theme in ("light", "dark"):
                take(work, models, lang, theme, server[1] if server else None)
    finally:
        if server:
            server[0].terminate()
            server[0].wait(10)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
