"""Fills the transcript from stored messages and handles what its messages offer (copy, images, links)."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QToolButton

from ..answer_formulas import formula_drawer, warm_formulas
from ..background import BackgroundJob
from ..markdown_render import COPY_SCHEME, render_markdown, style_sheet
from ..theme import is_dark
from ..thumbnails import ThumbnailCache, load_scaled
from ..views.image_viewer import ImageViewer
from ..views.message_view import THUMB, MessageView, SafeBrowser
from ..views.transcript import TranscriptView

log = logging.getLogger(__name__)
COPIED_MS = 1500
WINDOW = 16  # messages that get views when a conversation opens (the newest: some four screens)
EARLIER_CHUNK = 1  # views made per turn while scrolling up (~3-6 ms each with its layout, on 2 loaded cores)


@dataclasses.dataclass
class MessageRecord:
    """What the transcript knows of a message, whether or not it has a view yet."""

    role: str
    attachments: list[tuple[Path, str]]
    status: tuple[str, str] = ("", "")


class TranscriptPresenter(QObject):
    """Owns the messages of the open conversation and the views of those on screen.

    A long conversation opens with views for its last ``WINDOW`` messages only; earlier ones get their views
    one per event-loop turn while the user is near the top (``EARLIER_CHUNK``; the transcript asks again after
    each, until the top is a screen away), so opening costs the same at 50 or 5,000 messages and no turn makes
    more than one view. Everything about a message (text, state, stats) is kept whether or not it has a view.
    """

    regenerate_requested = Signal(int)  # the answer to write again (its earlier text is kept as a version)
    delete_requested = Signal(int)  # a question, to delete with its answer
    version_requested = Signal(int, int)  # an answer, the position of the version to show
    edit_requested = Signal(int)
    continue_requested = Signal(int)  # an answer cut by the length limit, to be continued

    def __init__(self, view: TranscriptView, attachments_dir: Path, parent: QObject | None = None,
                 time_of: Callable[[int], float | None] | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._time_of = time_of or (lambda _mid: None)
        SafeBrowser.allowed_roots = (attachments_dir.resolve(),)
        self.records: dict[int, MessageRecord] = {}  # every message, in order
        self.views: dict[int, MessageView] = {}  # those with a view
        self.texts: dict[int, str] = {}
        self.code: dict[int, tuple[str, ...]] = {}
        self.stats: dict[int, dict[str, Any]] = {}
        self.last_user: int | None = None
        self.last_assistant: int | None = None
        self.cut: int | None = None  # the first message the model still reads, when older ones were left out
        self.versions: dict[int, tuple[int, list[int]]] = {}  # answers with several versions: (shown, all)
        self.thumbnails = ThumbnailCache(THUMB)
        self._idle = True
        self._bulk = False  # between clear() and the end of that event-loop turn: records only, views later
        view.flush_pending = self.flush
        view.near_top.connect(self.show_earlier)

    # -- building --------------------------------------------------------------------------------

    def clear(self) -> None:
        """Empty the transcript; messages added until control returns to the event loop get views together."""
        self.view.clear()
        for store in (self.records, self.views, self.texts, self.code, self.stats, self.versions):
            store.clear()
        self.last_user = self.last_assistant = self.cut = None
        if not self._bulk:
            self._bulk = True
            QTimer.singleShot(0, self, self.flush)

    def add(self, message_id: int, role: str, text: str, attachments: list[tuple[Path, str]]) -> None:
        """Append a stored message (its view is made now, or with the others of a conversation being opened)."""
        self.records[message_id] = MessageRecord(role, list(attachments))
        self.texts[message_id] = text
        if role == "user":
            self.last_user = message_id
        else:
            self.last_assistant = message_id
        if not self._bulk:
            self._materialize([message_id], at_top=False)

    def flush(self) -> None:
        """Give views to the last ``WINDOW`` messages of a conversation just opened."""
        if not self._bulk:
            return
        self._bulk = False
        tail = [mid for mid in list(self.records)[-WINDOW:] if mid not in self.views]
        self._materialize(tail, at_top=False)

    def show_earlier(self) -> None:
        """The user scrolled to the top: views for the next few earlier messages."""
        self.flush()
        if not self.views:
            return
        first = min(self.views)
        earlier = [mid for mid in self.records if mid < first][-EARLIER_CHUNK:]
        if earlier:
            self._materialize(earlier, at_top=True)

    def earlier_count(self) -> int:
        """How many messages above the first view have none yet."""
        first = min(self.views, default=None)
        return 0 if first is None else sum(1 for mid in self.records if mid < first)

    def _materialize(self, ids: list[int], at_top: bool) -> None:
        made = []
        for mid in ids:
            record = self.records[mid]
            view = MessageView(record.role, self.view.content)
            self.views[mid] = view
            made.append(view)
            buttons: dict[Path, list[QToolButton]] = {}
            for path, name in record.attachments:
                buttons.setdefault(path, []).append(view.add_thumbnail(str(path), name))
            if buttons:
                self._load_thumbnails(buttons)
            view.image_clicked.connect(self.show_image)
            view.link_activated.connect(lambda url, m=mid: self._link(m, url))
            view.copy_clicked.connect(lambda m=mid: self.copy_text(m))
            view.regenerate_clicked.connect(lambda m=mid: self.regenerate_requested.emit(m))
            view.delete_clicked.connect(lambda m=mid: self.delete_requested.emit(m))
            view.version_step.connect(lambda step, m=mid: self._step_version(m, step))
            view.edit_clicked.connect(lambda m=mid: self.edit_requested.emit(m))
            view.continue_clicked.connect(lambda m=mid: self.continue_requested.emit(m))
            self.set_text(mid, self.texts.get(mid, ""))
            self._label(mid)
            self._show_time(view, mid)
            if record.status[0]:
                view.set_status(*record.status)
            if mid in self.stats:
                view.set_stats(self.format_stats(self.stats[mid]))
            self._show_version(mid)
        if made:
            for mid in ids:  # before they are laid out: the buttons change their height
                self._apply_actions(mid, self.views[mid])
            self.view.insert_messages(made, at_top)

    def _show_time(self, view: MessageView, message_id: int) -> None:
        try:
            stamp = self._time_of(message_id)
        except (KeyError, RuntimeError):  # not stored (yet), or the store closed at shutdown: now
            stamp = None
        when = datetime.datetime.fromtimestamp(stamp) if stamp else datetime.datetime.now()
        locale = QLocale()
        view.set_time(locale.toString(when.time(), QLocale.FormatType.ShortFormat),
                      locale.toString(when, QLocale.FormatType.LongFormat))

    def remove_from(self, message_id: int) -> None:
        """Drop ``message_id`` and everything after it."""
        self.remove([m for m in self.records if m >= message_id])

    def remove(self, message_ids: list[int]) -> None:
        """Drop these messages."""
        self.flush()
        for mid in [m for m in message_ids if m in self.records]:
            self.records.pop(mid)
            if mid in self.views:
                self.view.remove_message(self.views.pop(mid))
            self.texts.pop(mid, None)
            self.code.pop(mid, None)
            self.stats.pop(mid, None)
            self.versions.pop(mid, None)
        users = [m for m, r in self.records.items() if r.role == "user"]
        answers = [m for m, r in self.records.items() if r.role != "user"]
        self.last_user = max(users, default=None)
        self.last_assistant = max(answers, default=None)

    def _load_thumbnails(self, buttons: dict[Path, list[QToolButton]]) -> None:
        def show(path: Path, pixmap: QPixmap) -> None:
            for button in buttons[path]:
                try:
                    MessageView.set_thumbnail(button, pixmap)
                except RuntimeError:  # the view was closed meanwhile
                    pass

        self.thumbnails.request(list(buttons), show)

    # -- content ---------------------------------------------------------------------------------

    def set_text(self, message_id: int, text: str) -> None:
        """Render ``text`` as Markdown into the message (the caller batches calls while streaming)."""
        self.texts[message_id] = text
        view = self.views.get(message_id)
        if view is None:
            return
        if view.role == "user":
            rendered_html = "<p>" + _escape_lines(text) + "</p>" if text else ""
            self.code[message_id] = ()
        else:
            warm_formulas(text)
            formulas: dict[str, QImage] = {}
            rendered = render_markdown(text, self.tr("Copy"), math=formula_drawer(view.body, formulas))
            rendered_html, self.code[message_id] = rendered.html, rendered.code_blocks
            view.body.formulas = formulas
        view.body.document().setDefaultStyleSheet(style_sheet(is_dark(QApplication.instance())))
        view.set_html(rendered_html)

    def set_status(self, message_id: int, text: str, kind: str = "") -> None:
        """The state line of a message (stage, stopped, incomplete, error)."""
        if message_id in self.records:
            self.records[message_id].status = (text, kind)
        if message_id in self.views:
            self.views[message_id].set_status(text, kind)

    def set_stats(self, message_id: int, stats: dict[str, Any]) -> None:
        """Remember the answer's stats and show them under it (a cut answer offers Continue)."""
        self.stats[message_id] = stats
        if message_id in self.views:
            self.views[message_id].set_stats(self.format_stats(stats))
            self._apply_actions(message_id, self.views[message_id])

    def format_stats(self, stats: dict[str, Any]) -> str:
        """"First token 120 ms · 35.2 tokens/s · 80 tokens"."""
        parts = []
        if stats.get("ttft_ms"):
            parts.append(self.tr("First token %1 ms").replace("%1", f"{stats['ttft_ms']:.0f}"))
        if stats.get("decode_tok_s"):
            parts.append(self.tr("%1 tokens/s").replace("%1", f"{stats['decode_tok_s']:.1f}"))
        if stats.get("completion_tokens"):
            parts.append(self.tr("%1 tokens").replace("%1", str(stats["completion_tokens"])))
        if stats.get("stop_reason") == "length" and not stats.get("error"):  # beside the Continue button
            parts.append(self.tr("stopped at the length limit") if stats.get("cut_by") == "max_tokens"
                         else self.tr("stopped: the context is full"))
        return " · ".join(parts)

    def set_idle_actions(self, idle: bool) -> None:
        """Copy everywhere; Edit on the last question and Regenerate on the last answer when idle."""
        self._idle = idle
        for mid, view in self.views.items():
            self._apply_actions(mid, view)

    def _apply_actions(self, mid: int, view: MessageView) -> None:
        idle = self._idle
        last_answer = mid == self.last_assistant and mid > (self.last_user or 0)
        stats = self.stats.get(mid, {})
        cut_short = stats.get("stop_reason") == "length" and not stats.get("error")
        view.set_actions(copy=view.role != "user" or bool(self.texts.get(mid)),
                         regenerate=idle and view.role == "assistant",
                         edit=idle and view.role == "user", delete=idle and view.role == "user",
                         cont=idle and last_answer and cut_short)
        self._show_version(mid)

    def set_versions(self, message_id: int, shown: int, positions: list[int]) -> None:
        """The versions an answer has (position shown, every position): arrows flip between them."""
        if len(positions) > 1:
            self.versions[message_id] = (shown, sorted(positions))
        else:
            self.versions.pop(message_id, None)
        self._show_version(message_id)

    def _show_version(self, message_id: int) -> None:
        view = self.views.get(message_id)
        if view is None:
            return
        shown, positions = self.versions.get(message_id, (0, [0]))
        view.set_version(positions.index(shown), len(positions))
        if not self._idle:
            view.older_button.setEnabled(False)
            view.newer_button.setEnabled(False)

    def _step_version(self, message_id: int, step: int) -> None:
        shown, positions = self.versions.get(message_id, (0, [0]))
        index = positions.index(shown) + step
        if self._idle and 0 <= index < len(positions):
            self.version_requested.emit(message_id, positions[index])

    def set_cut(self, message_id: int | None) -> None:
        """Mark ``message_id`` as the first message the model still reads (None: it reads them all)."""
        before, self.cut = self.cut, message_id
        for mid in (before, message_id):
            if mid is not None and mid in self.views:
                self._show_cut(mid)

    def _show_cut(self, message_id: int) -> None:
        self.views[message_id].set_cut(self.tr("The conversation outgrew the context: the model no longer reads "
                                               "the messages above this line.") if message_id == self.cut else "")

    def retranslate(self) -> None:
        """Labels, stats and code-copy links in the current language."""
        for mid in list(self.views):
            self._label(mid)
            self.views[mid].refresh_colors()
            self.set_text(mid, self.texts.get(mid, ""))
            if mid in self.stats:
                self.set_stats(mid, self.stats[mid])

    def _label(self, message_id: int) -> None:
        view = self.views[message_id]
        who = self.tr("You") if view.role == "user" else self.tr("Assistant")
        view.set_texts(who, self.tr("Copy"), self.tr("Edit"), self.tr("Regenerate"), self.tr("Continue"),
                       self.tr("Delete"), self.tr("Earlier version"), self.tr("Later version"))
        if message_id == self.cut:
            self._show_cut(message_id)

    # -- actions ---------------------------------------------------------------------------------

    def copy_text(self, message_id: int) -> None:
        """Copy a whole message's text; the button says "Copied" for a moment."""
        QGuiApplication.clipboard().setText(self.texts.get(message_id, ""))
        view = self.views.get(message_id)
        if view is not None:
            self._flash_copied(view)

    def _flash_copied(self, view: MessageView) -> None:
        view.copy_button.setText(self.tr("Copied ✓"))

        def back() -> None:
            try:
                view.copy_button.setText(self.tr("Copy"))
            except RuntimeError:  # the message was closed meanwhile
                pass

        QTimer.singleShot(COPIED_MS, back)

    def _link(self, message_id: int, url: QUrl) -> None:
        if url.scheme() == COPY_SCHEME:
            blocks = self.code.get(message_id, ())
            index = int(url.path() or -1) if url.path().isdigit() else -1
            if 0 <= index < len(blocks):
                QGuiApplication.clipboard().setText(blocks[index])
                if message_id in self.views:
                    self._flash_copied(self.views[message_id])
        else:
            log.info("not following link %s (VisionDesk stays offline)", url.toString())

    def show_image(self, path: str) -> None:
        """Open an attachment large, decoded off the UI thread."""
        window = self.view.window()

        def show(image: QImage) -> None:
            viewer = ImageViewer(image, Path(path).name, window)
            viewer.setObjectName("imageViewer")
            viewer.show()

        BackgroundJob(op=lambda: load_scaled(Path(path), 0), success=show).start()


def _escape_lines(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br/>")
