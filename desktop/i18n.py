"""English and Simplified Chinese, switchable while the app runs.

The source of the translations is ``i18n/visiondesk_<lang>.ts`` (Qt Linguist XML, committed). The
compiled ``.qm`` is a build product: when it is missing or older than the ``.ts``, it is compiled on
the fly with ``pyside6-lrelease``; where that tool is missing the ``.ts`` is read directly by
``TsTranslator``. Qt's own strings (OK, Cancel, the file dialog) come from the ``qtbase_<lang>.qm`` that
PySide6 ships in its translations folder. Installing a translator makes Qt send ``LanguageChange`` to every
widget, and the views retranslate themselves in ``changeEvent``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).with_name("i18n")
_installed: list[QTranslator] = []


class TsTranslator(QTranslator):
    """Reads a Linguist ``.ts`` file directly (used when no ``lrelease`` is available)."""

    def __init__(self, ts_path: Path) -> None:
        super().__init__()
        self._table: dict[tuple[str, str, str], str] = {}  # (context, source, disambiguation)
        root = ET.parse(ts_path).getroot()
        for context in root.iter("context"):
            name = context.findtext("name") or ""
            for msg in context.iter("message"):
                tr = msg.find("translation")
                if tr is None or tr.get("type") in ("unfinished", "obsolete", "vanished") or not tr.text:
                    continue
                self._table[(name, msg.findtext("source") or "", msg.findtext("comment") or "")] = tr.text

    def translate(self, context: str, source_text: str, disambiguation: str | None = None,
                  n: int = -1) -> str:
        """Look ``source_text`` (told apart by ``disambiguation``) up in ``context``; "" means 'not translated'."""
        return self._table.get((context, source_text, disambiguation or ""), "")

    def isEmpty(self) -> bool:
        """Whether nothing was loaded."""
        return not self._table


def _lrelease() -> str | None:
    local = Path(sys.executable).with_name("pyside6-lrelease")
    return str(local) if local.exists() else shutil.which("pyside6-lrelease")


def compile_qm(ts_path: Path, qm_path: Path) -> bool:
    """Compile ``ts_path`` into ``qm_path`` with ``pyside6-lrelease``; False if it cannot."""
    tool = _lrelease()
    if tool is None:
        return False
    try:
        qm_path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([tool, "-silent", str(ts_path), "-qm", str(qm_path)], check=True,
                       capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not compile %s: %s", ts_path.name, exc)
        return False
    return qm_path.exists()


def load_translator(lang: str, cache_dir: Path | None = None) -> QTranslator | None:
    """A translator for ``lang`` (None for English, the source language)."""
    if lang == "en":
        return None
    ts = I18N_DIR / f"visiondesk_{lang}.ts"
    if not ts.exists():
        log.warning("no translation file for %s", lang)
        return None
    candidates = [ts.with_suffix(".qm")] + ([cache_dir / ts.with_suffix(".qm").name] if cache_dir else [])
    for qm in candidates:
        if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
            if not compile_qm(ts, qm):
                continue
        translator = QTranslator()
        if translator.load(str(qm)):
            return translator
    log.info("reading %s directly", ts.name)
    fallback = TsTranslator(ts)
    return None if fallback.isEmpty() else fallback


def load_qt_translator(lang: str) -> QTranslator | None:
    """Qt's own translation for ``lang`` (buttons, file dialogs), from PySide6's translations folder."""
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator()
    if translator.load(f"qtbase_{lang}", folder):
        return translator
    log.warning("no Qt translation qtbase_%s in %s", lang, folder)
    return None


def install_language(lang: str, cache_dir: Path | None = None) -> str:
    """Replace the installed translator with ``lang``'s; returns the language now in use."""
    app = QCoreApplication.instance()
    assert app is not None, "install_language needs a QApplication"
    for old in _installed:
        QCoreApplication.removeTranslator(old)
    _installed.clear()
    translator = load_translator(lang, cache_dir)
    if translator is not None:
        qt_translator = load_qt_translator(lang)
        for t in (qt_translator, translator):  # ours last: it is asked first
            if t is not None:
                QCoreApplication.installTranslator(t)
                _installed.append(t)
    elif lang != "en":
        lang = "en"
    QLocale.setDefault(QLocale(lang))
    return lang

