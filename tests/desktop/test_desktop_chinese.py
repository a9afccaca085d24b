"""Issue 18, defect 9: the Chinese UI is complete — Qt's own buttons, engine errors (by code), export headings,
the default title, "unknown" quantization, an open model manager; no untranslated source string anywhere."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from tests.desktop.test_desktop_chat import send

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "desktop" / "i18n" / "visiondesk_zh_CN.ts"


def translated_sources(ts: Path) -> dict[str, str]:
    """Source → translation for every finished entry whose translation differs from its source."""
    out = {}
    for msg in ET.parse(ts).getroot().iter("message"):
        tr = msg.find("translation")
        source = msg.findtext("source") or ""
        if tr is not None and tr.text and tr.get("type") is None and tr.text != source:
            out[source] = tr.text
    return out


def visible_strings(root: QWidget) -> list[str]:
    """Texts, placeholders, items, titles, tooltips and accessible names of ``root`` and everything in it."""
    out: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        out += [w.windowTitle(), w.toolTip(), w.accessibleName()]
        if isinstance(w, QLabel | QAbstractButton):
            out.append(w.text())
        if isinstance(w, QLineEdit):
            out.append(w.placeholderText())
        if isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())] + [w.placeholderText()]
        if isinstance(w, QGroupBox):
            out.append(w.title())
        if isinstance(w, QTabWidget):
            out += [w.tabText(i) for i in range(w.count())]
        if isinstance(w, QTableWidget):
            for c in range(w.columnCount()):
                header = w.horizontalHeaderItem(c)
                out.append(header.text() if header else "")
                out += [w.item(r, c).text() for r in range(w.rowCount()) if w.item(r, c)]
        if isinstance(w, QMenu):
            out += [w.title()] + [a.text() for a in w.actions()]
    for action in root.actions():
        out += [action.text(), action.toolTip()]
    return [s for s in out if s]


def untranslated(strings: list[str], sources: dict[str, str]) -> list[str]:
    plain = {s.replace("&", "") for s in sources}
    return sorted({s for s in strings if s in sources or s.replace("&", "") in plain})


def test_every_translatable_string_has_a_chinese_translation(tmp_path: Path) -> None:
    """What the code asks Qt to translate (found by lupdate) is translated in the committed .ts file."""
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    fresh = tmp_path / "fresh.ts"
    files = sorted(str(p) for p in (ROOT / "desktop").rglob("*.py"))
    subprocess.run([str(lupdate), *files, "-ts", str(fresh)], check=True, capture_output=True, timeout=120)
    committed = {(c.findtext("name"), m.findtext("source")): m.find("translation")
                 for c in ET.parse(TS).getroot().iter("context") for m in c.iter("message")}
    missing = []
    for context in ET.parse(fresh).getroot().iter("context"):
        for msg in context.iter("message"):
            key = (context.findtext("name"), msg.findtext("source"))
            tr = committed.get(key)
            if tr is None or not tr.text or tr.get("type") is not None:
                missing.append(key)
    assert missing == []


def test_chinese_ui_has_no_untranslated_strings(qtbot, shell, data_dir: Path, tmp_path: Path) -> None:
    from visiondesk.engine.errors import TruncatedGGUF

    sources = translated_sources(TS)
    send(qtbot, shell, "hello")
    shell.model.open_model_manager()
    manager = shell.model.model_manager
    qtbot.waitUntil(lambda: manager.dialog.installed_table.rowCount() >= 0 and manager.memory is not None,
                    timeout=10_000)
    shell.set_language("zh_CN")
    settings = shell.settings_controller.open()
    shell._show_error(TruncatedGGUF(Path("/models/broken.gguf"), "the tensor data ends early"))
    qtbot.wait(50)  # LanguageChange events are posted
    # the model manager re-fills its tables in one slot after the switch (the category box first)
    qtbot.waitUntil(lambda: manager.dialog.category.itemText(0) == "全部用途", timeout=10_000)
    w = shell.window
    assert "已损坏" in w.notice.label.text()  # the error banner, translated by the error's code
    ok = settings.buttons.button(QDialogButtonBox.StandardButton.Ok).text()
    assert ok and ok.replace("&", "") not in ("OK", "Ok")  # Qt's own translation (qtbase_zh_CN)
    assert shell.chat.tr("Images") == "图片"  # the default title of a chat started with images only
    assert manager.tr("unknown") == "未知"
    strings = visible_strings(w) + visible_strings(settings) + visible_strings(manager.dialog)
    for menu in (w.file_menu, w.chat_menu):
        strings += visible_strings(menu)
    assert len(strings) > 150, len(strings)
    assert untranslated(strings, sources) == []
    md = shell.export_markdown(tmp_path / "export")
    text = md.read_text(encoding="utf-8")
    assert "## 你" in text and "## 助手" in text and "## You" not in text
    settings.reject()
    shell.set_language("en")


def test_error_text_uses_the_code_and_falls_back_to_the_message(qtbot, data_dir: Path) -> None:
    from visiondesk.desktop.error_text import error_text
    from visiondesk.desktop.i18n import install_language
    from visiondesk.engine import errors

    crash = errors.EngineCrashed(-9, "loading")
    mismatch = errors.ProjectorMismatch(Path("/m/a.gguf"), Path("/m/mmproj-b.gguf"), 64, 96)
    bare = errors.rebuild("ProjectorMismatch", "English only", {})  # no attributes came across: its own words
    other = errors.ModelLoadFailed("llama.cpp said no")
    assert "stopped unexpectedly" in error_text(crash) and error_text(other) == "llama.cpp said no"
    try:
        install_language("zh_CN", data_dir / "i18n")
        assert error_text(crash).startswith("模型进程意外停止")
        assert error_text(mismatch) == "投影器 mmproj-b.gguf 与模型 a.gguf 不匹配。请使用随该模型发布的 mmproj 文件。"
        assert error_text(bare) == "English only"
        assert error_text(other) == "模型加载失败：llama.cpp said no"  # llama.cpp's own words, in a Chinese sentence
    finally:
        install_language("en", data_dir / "i18n")


def test_the_batch_page_in_chinese_is_translated_and_cuts_no_label(qtbot, shell, images: list[Path],
                                                                   tmp_path: Path) -> None:
    from PySide6.QtWidgets import QPushButton

    folder = tmp_path / "receipts"
    folder.mkdir()
    for image in images:
        (folder / image.name).write_bytes(image.read_bytes())
    sources = translated_sources(TS)
    shell.set_language("zh_CN")
    try:
        page = shell.batch.open()
        shell.batch.set_folder(folder)
        qtbot.waitExposed(page)
        qtbot.wait(50)  # its layout settles
        assert page.windowTitle() == "批量处理" and page.table.item(0, 1).text() == "等待中"
        strings = visible_strings(page)
        assert len(strings) > 20, strings
        assert untranslated(strings, sources) == []
        cut = [w.text() for w in [*page.findChildren(QLabel), *page.findChildren(QPushButton)]
               if w.isVisible() and w.text() and not (isinstance(w, QLabel) and w.wordWrap())
               and w.width() < w.sizeHint().width()]
        assert cut == []
        header = page.table.horizontalHeader()
        narrow = [page.table.horizontalHeaderItem(c).text() for c in range(page.table.columnCount())
                  if header.sectionSize(c) < header.fontMetrics().horizontalAdvance(
                      page.table.horizontalHeaderItem(c).text())]
        assert narrow == []
    finally:
        shell.set_language("en")
