"""The composer's logic: attached images (checked and stored off the UI thread), paste, drop, edit mode, submit.

An image is read, decoded and stored once, when it is attached (``Attach``, built by the shell from the
store and the pixel cache): from then on it is one ``ImageAttachment``, which the message, the store and
the engine share. Send never waits for an image still being checked: such an image goes with the message
as it is (stored as its bytes) and the engine checks it.

A PDF joins as its pages, drawn as images (``engine.pdf_pages``: the first ``MAX_PAGES``; the composer says
when a longer document was cut).

What was typed and attached stays with its conversation: opening another keeps it as a draft (``switch_draft``),
and it comes back when its conversation is opened again (not across a restart; a message being edited is not kept).

Each attached image is offered to the engine at once (``prepare_requested``: the local engine encodes it while
the question is typed); one that leaves the composer unsent (removed, or the composer emptied without Send)
is withdrawn (``prepare_dropped``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog
from visiondesk.engine import ImageSource
from visiondesk.engine.errors import VisionDeskError
from visiondesk.engine.pdf_pages import MAX_PAGES, page_numbers
from visiondesk.engine.requests import ImageAttachment

from ..background import BackgroundJob
from ..error_text import error_text
from ..views.composer import ComposerView
from .composer_items import (
    Attach,
    Attached,
    ComposerImage,
    CutDocument,
    Draft,
    PastedImage,
    Release,
    attach_file,
    attach_with_thumbnail,
    encode_png,
    sources_of,
)

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images and PDFs (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff *.pdf);;All files (*)"


class ComposerController(QObject):
    """Turns what the user types, drops and pastes into one ``send_requested``."""

    send_requested = Signal(str, list, object)  # text, [ImageAttachment | ImageSource], message id edited or None
    images_changed = Signal(list)  # the pending [ImageAttachment], after each add or removal
    prepare_requested = Signal(list)  # the pending [ImageAttachment] after one joined: the engine may prepare them
    prepare_dropped = Signal(list)  # [ImageAttachment] that left unsent: the engine need not prepare them
    stop_requested = Signal()

    def __init__(self, view: ComposerView, attach: Attach, release: Release, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._attach, self._release = attach, release
        self.pending: list[ComposerImage] = []
        self._checks: dict[int, ImageSource | PastedImage] = {}  # order -> image (or PDF) still being checked
        self.editing: int | None = None
        self.cut: CutDocument | None = None  # the last PDF that gave fewer pages than it has
        self.busy = False
        self._drafts: dict[int | None, Draft] = {}  # by conversation id (None: a new chat)
        self._paste_count = 0
        self._order = 0
        view.edit.submit.connect(self.submit)
        view.send_button.clicked.connect(self.submit)
        view.stop_button.clicked.connect(self.stop_requested)
        view.edit.escape.connect(self._escape)
        view.edit.image_pasted.connect(self.add_image)
        view.edit.image_unreadable.connect(self._unreadable_paste)
        view.edit.files_given.connect(self.add_files)
        view.attach_button.clicked.connect(self.pick_files)
        view.cancel_edit_button.clicked.connect(self.cancel_edit)
        view.pages_button.clicked.connect(self.choose_pages)

    # -- images ----------------------------------------------------------------------------------

    def add_files(self, paths: list[Path]) -> None:
        """Check each file off the UI thread; usable ones join the strip, others show an error."""
        self.view.show_error("")
        for path in paths:
            self._check(ImageSource(path=Path(path)))

    def add_image(self, image: QImage) -> None:
        """Pasted or dropped pixels: encoded to PNG off the UI thread, then checked like a file."""
        self.view.show_error("")
        self._paste_count += 1
        name = f"pasted-{self._paste_count}.png"
        self._start(PastedImage(image, name),
                    lambda: Attached([attach_with_thumbnail(self._attach, encode_png(image, name))]))

    def _unreadable_paste(self, mime_type: str) -> None:
        log.info("pasted %s data that does not decode", mime_type)
        self.view.show_error(self.tr("The pasted image could not be read: its data (%1) is not a picture "
                                     "VisionDesk can open. Nothing was attached; try copying it again, or "
                                     "save it as a file and attach that.").replace("%1", mime_type))

    def add_attachments(self, attachments: list[ImageAttachment]) -> None:
        """Images already attached and stored (an edited message's): into the strip without a new check."""
        for attachment in attachments:
            self._check(ImageSource(path=attachment.path, name=attachment.name))

    def _check(self, source: ImageSource) -> None:
        self._start(source, lambda: attach_file(self._attach, source))

    def _start(self, given: ImageSource | PastedImage, op: Callable[[], Attached], order: int = 0) -> None:
        """Run ``op`` off the UI thread; its images join the strip at ``order`` (default: after all others)."""
        if not order:
            self._order += 1
            order = self._order
        self._checks[order] = given
        BackgroundJob(op=op, success=lambda item: self._accepted(item, order),
                      failure=lambda exc: self._rejected(exc, order)).start()

    def _accepted(self, attached: Attached, order: int) -> None:
        given = self._checks.pop(order, None)
        if given is None:  # sent (as its source) or cleared before its check finished: the stored copy is not held
            self._release([item.attachment for item in attached.items])
            return
        for i, item in enumerate(attached.items):
            self._join(item, order + i / (MAX_PAGES + 1))
        if len(attached.items) < attached.total and isinstance(given, ImageSource):
            self.cut = CutDocument(given, order, attached.total, attached.name)
            self.view.pages_button.show()
        if len(attached.items) < attached.asked:
            self.view.show_error(self.tr("Only the first %1 of the %2 pages of %3 were attached: a model answers "
                                         "about a few images far better than about many. Choose the pages to "
                                         "ask about.").replace("%1", str(len(attached.items)))
                                 .replace("%2", str(attached.asked)).replace("%3", attached.name))
        self.images_changed.emit([p.attachment for p in self.pending])
        self.prepare_requested.emit([p.attachment for p in self.pending])

    def _join(self, item: ComposerImage, order: float) -> None:
        item.order = order
        index = sum(1 for p in self.pending if p.order < order)
        item.chip = self.view.add_chip(item.name, index)
        item.chip.set_image(item.thumbnail)
        item.chip.remove_button.setAccessibleName(self.tr("Remove %1").replace("%1", item.name))
        item.chip.remove_clicked.connect(lambda: self.remove(item))
        self.pending.insert(index, item)

    def _sources(self, source: ImageSource, unread: list[str]) -> list[ImageSource]:
        """A file still being checked at Send: itself, or its pages if it is a PDF.

        A PDF that cannot be read stays out of the message; why goes into ``unread``, said after Send.
        """
        try:
            return sources_of(source)
        except VisionDeskError as exc:
            unread.append(error_text(exc))
            return []

    def _rejected(self, exc: BaseException, order: int) -> None:
        if self._checks.pop(order, None) is None:
            return
        log.info("image rejected: %s", exc)
        self.view.show_error(error_text(exc))

    def remove(self, item: ComposerImage) -> None:
        """Drop one pending image (the user removed it: the engine need not prepare it any more)."""
        if self._take(item):
            self._release([item.attachment])
            self.prepare_dropped.emit([item.attachment])

    def _take(self, item: ComposerImage) -> bool:
        if item not in self.pending:
            return False
        self.pending.remove(item)
        if item.chip is not None:
            self.view.remove_chip(item.chip)
        self.images_changed.emit([p.attachment for p in self.pending])
        return True

    def pick_files(self) -> None:
        """The file picker (non-blocking)."""
        dialog = QFileDialog(self.view.window(), self.tr("Attach images"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(IMAGE_FILTER)
        dialog.filesSelected.connect(lambda files: self.add_files([Path(f) for f in files]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def choose_pages(self) -> QInputDialog | None:
        """"Choose pages…" of the PDF that was cut: a range such as 3-5, 9 (non-blocking dialog)."""
        if self.cut is None:
            return None
        cut = self.cut
        dialog = QInputDialog(self.view.window())
        dialog.setWindowTitle(self.tr("Choose pages"))
        dialog.setLabelText(self.tr("Pages of %1 to attach (it has %2; %3 at most), such as 3-5, 9:")
                            .replace("%1", cut.name).replace("%2", str(cut.total)).replace("%3", str(MAX_PAGES)))
        dialog.setTextValue(f"1-{MAX_PAGES}")
        dialog.textValueSelected.connect(self.use_pages)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def use_pages(self, text: str) -> None:
        """Replace the cut PDF's pages in the strip with the pages ``text`` names (said why, if none)."""
        cut = self.cut
        if cut is None:
            return
        try:
            pages = page_numbers(text, cut.total)
        except VisionDeskError as exc:
            self.view.show_error(error_text(exc))
            return
        self.view.show_error("")
        left = [p for p in self.pending if cut.order <= p.order < cut.order + 1]
        for item in left:
            self._take(item)
        if left:
            self._release([item.attachment for item in left])
            self.prepare_dropped.emit([item.attachment for item in left])
        self._start(cut.source, lambda: attach_file(self._attach, cut.source, pages), order=cut.order)

    @property
    def checking(self) -> int:
        """Images still being checked."""
        return len(self._checks)

    # -- sending ---------------------------------------------------------------------------------

    def submit(self) -> None:
        """Enter or Send: hand the message on at once, images still being checked included (as they are).

        The message must be durable the moment Send is pressed; an image whose check has not finished goes
        as its source, in the order it was given, and the engine checks it.
        """
        if self.busy:
            return
        text = self.view.edit.toPlainText().strip()
        if not text and not self.pending and not self._checks:
            return
        given: list[tuple[float, ImageAttachment | ImageSource]] = [(p.order, p.attachment) for p in self.pending]
        unread: list[str] = []
        for order, g in self._checks.items():
            sources = [encode_png(g.image, g.name)] if isinstance(g, PastedImage) else self._sources(g, unread)
            given += [(order + i / (MAX_PAGES + 1), source) for i, source in enumerate(sources)]
        editing = self.editing
        self.clear(sent=True)
        self.view.show_error("\n".join(unread))
        self.send_requested.emit(text, [image for _, image in sorted(given, key=lambda g: g[0])], editing)

    def clear(self, sent: bool = False, drafted: bool = False) -> None:
        """Empty the composer (checks still running are forgotten); unless ``sent``, its images are withdrawn.

        ``drafted``: they went into a draft, which still holds them; otherwise the store may purge them.
        """
        self._checks.clear()
        self.view.edit.clear()
        left = [item.attachment for item in self.pending]
        for item in list(self.pending):
            self._take(item)
        if left and not sent:
            if not drafted:
                self._release(left)
            self.prepare_dropped.emit(left)
        self.view.show_error("")
        self.cut = None
        self.view.pages_button.hide()
        self.editing = None
        self.view.editing_bar.hide()

    def switch_draft(self, leaving: int | None, opening: int | None) -> None:
        """Keep what was typed and attached for ``leaving`` (unless it was an edit), then show ``opening``'s draft."""
        if leaving == opening:  # New chat while in a new chat: a fresh start, as asked
            self._drafts.pop(opening, None)
            self.clear()
            return
        if self.editing is None:
            given = tuple(g if isinstance(g, ImageSource) else encode_png(g.image, g.name)
                          for g in self._checks.values())
            draft = Draft(self.view.edit.toPlainText(), tuple(self.pending), given)
            if draft.text.strip() or draft.images or draft.given:
                self._drafts[leaving] = draft
            else:
                self._drafts.pop(leaving, None)
        self.clear(drafted=self.editing is None)
        draft = self._drafts.pop(opening, None)
        if draft is not None:
            self.view.edit.setPlainText(draft.text)
            for item in draft.images:  # as they were: checked, stored and held already
                self._order += 1
                self._join(item, self._order)
            if draft.images:
                self.images_changed.emit([p.attachment for p in self.pending])
                self.prepare_requested.emit([p.attachment for p in self.pending])
            for source in draft.given:
                self._check(source)

    def set_busy(self, busy: bool) -> None:
        """An answer is being produced: Stop instead of Send."""
        self.busy = busy
        self.view.set_busy(busy)

    def _escape(self) -> None:
        if self.busy:
            self.stop_requested.emit()
        elif self.editing is not None:
            self.cancel_edit()

    # -- edit and resend -------------------------------------------------------------------------

    def begin_edit(self, message_id: int, text: str, images: list[ImageAttachment]) -> None:
        """Put a user message back into the composer, its images with it; sending replaces it."""
        self.clear()
        self.editing = message_id
        self.view.edit.setPlainText(text)
        self.view.editing_bar.show()
        self.add_attachments(images)
        self.view.edit.setFocus()

    def cancel_edit(self) -> None:
        """Leave edit mode; nothing changes in the conversation."""
        self.clear()
