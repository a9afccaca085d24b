"""One message of the transcript: who, images, the rendered answer, its state, stats and actions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPaintEvent, QPalette, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..icons import icon
from ..markdown_render import MATH_SCHEME

THUMB = 120
ROLE_MARKS = {"user": "●", "assistant": "✦"}  # drawn in the bubble's accent colour before the name


def bubble_colors(role: str, palette: QPalette) -> tuple[QColor, QColor]:
    """(fill, accent) of a message: the user's tinted with the highlight colour, the assistant's on the base."""
    base = palette.color(QPalette.ColorRole.Base)
    accent = palette.color(QPalette.ColorRole.Highlight)
    dark = base.lightness() < 128
    if role == "user":
        mix = 0.28 if dark else 0.12
        fill = QColor(round(base.red() * (1 - mix) + accent.red() * mix),
                      round(base.green() * (1 - mix) + accent.green() * mix),
                      round(base.blue() * (1 - mix) + accent.blue() * mix))
        return fill, accent
    return base, QColor("#2e8b57") if not dark else QColor("#5cc08a")


class SafeBrowser(QTextBrowser):
    """A read-only rich-text view that never loads anything but local attachments."""

    allowed_roots: tuple[Path, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formulas: dict[str, QImage] = {}  # math:<key> -> the formula drawn for this body (math_render)
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.setAcceptDrops(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTabChangesFocus(True)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().setDocumentMargin(2)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.setFixedHeight(24)

    def loadResource(self, kind: int, url: QUrl | str) -> object:
        """Formulas drawn here, and files inside an allowed folder; nothing else (no network, ever)."""
        url = QUrl(url)
        if url.scheme() == MATH_SCHEME:
            return self.formulas.get(url.toString())
        if url.isLocalFile():
            path = Path(url.toLocalFile()).resolve()
            if any(path.is_relative_to(root) for root in self.allowed_roots):
                return super().loadResource(kind, url)
        return None

    def _fit_height(self) -> None:
        height = int(self.document().size().height()) + 4
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Re-wrap the document to the new width, which changes its height."""
        super().resizeEvent(event)
        self.document().setTextWidth(self.viewport().width())
        self._fit_height()


class ActionButton(QToolButton):
    """A flat message action that shows a highlight ring while it has the keyboard focus.

    Fusion draws no focus for auto-raised tool buttons, so Tab through a conversation would be invisible.
    """

    def paintEvent(self, event: QPaintEvent) -> None:
        """The button, then the ring when focused."""
        super().paintEvent(event)
        if self.hasFocus():
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            pen = painter.pen()
            pen.setColor(self.palette().color(QPalette.ColorRole.Highlight))
            pen.setWidth(2)
            painter.setPen(pen)
            painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 4, 4)
            painter.end()


class MessageView(QFrame):
    """Layout of one message; the transcript presenter fills it and reacts to its signals.

    Its ``sizeHint`` is the height its content needs at its width (asked again when the width changes), its
    height is fixed to that, and it tells layouts it has no height-for-width. Qt's box layouts and scroll areas
    cache one height-for-width per width, and a scroll area asks two widths each time its content resizes: with
    word-wrapped messages every message was laid out again whenever one was added (~20 ms at 500 messages).
    Now only the message that changed is measured.
    """

    link_activated = Signal(QUrl)
    image_clicked = Signal(str)
    copy_clicked = Signal()
    regenerate_clicked = Signal()
    edit_clicked = Signal()
    continue_clicked = Signal()
    delete_clicked = Signal()
    version_step = Signal(int)  # -1: the earlier version, +1: the later one

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self._width = 0  # the width to measure at before the first layout (``prepare_width``); 0: the real one
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setObjectName("userMessage" if role == "user" else "assistantMessage")
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(4)
        self.cut_marker = QLabel(self)  # the model no longer reads the messages above this one
        self.cut_marker.setObjectName("contextCut")
        self.cut_marker.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cut_marker.setWordWrap(True)
        self.cut_marker.setStyleSheet("color: #c17d11; border-bottom: 1px dashed #c17d11; padding-bottom: 4px;")
        self.cut_marker.hide()
        layout.addWidget(self.cut_marker)
        head = QHBoxLayout()
        self.mark = QLabel(ROLE_MARKS.get(role, ""), self)
        head.addWidget(self.mark)
        self.who = QLabel(self)
        self.who.setStyleSheet("font-weight: bold;")
        head.addWidget(self.who)
        head.addStretch(1)
        self.time = QLabel(self)
        self.time.setObjectName("messageTime")
        head.addWidget(self.time)
        layout.addLayout(head)
        self.thumbs = QWidget(self)
        self.thumbs_layout = QHBoxLayout(self.thumbs)
        self.thumbs_layout.setContentsMargins(0, 0, 0, 0)
        self.thumbs_layout.addStretch(1)
        self.thumbs.hide()
        layout.addWidget(self.thumbs)
        self.body = SafeBrowser(self)
        self.body.anchorClicked.connect(self.link_activated)
        layout.addWidget(self.body)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        layout.addWidget(self.status)
        footer = QHBoxLayout()
        self.stats = QLabel(self)
        self.stats.setStyleSheet("color: palette(placeholder-text); font-size: small;")
        # The stats give way to the actions: they wrap in what width is left, never widen the message.
        self.stats.setWordWrap(True)
        self.stats.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        footer.addWidget(self.stats, 1)
        self.older_button = self._arrow(footer, "‹", -1)
        self.version_label = QLabel(self)
        self.version_label.setObjectName("versionLabel")
        footer.addWidget(self.version_label)
        self.newer_button = self._arrow(footer, "›", 1)
        self.set_version(0, 1)
        self.copy_button = self._action(footer, self.copy_clicked)
        self.edit_button = self._action(footer, self.edit_clicked)
        self.regenerate_button = self._action(footer, self.regenerate_clicked)
        self.continue_button = self._action(footer, self.continue_clicked)
        self.delete_button = self._action(footer, self.delete_clicked)
        layout.addLayout(footer)
        self.set_actions(copy=False, regenerate=False, edit=False)

    def _action(self, layout: QHBoxLayout, signal: Signal) -> QToolButton:
        button = ActionButton(self)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.clicked.connect(signal)
        layout.addWidget(button)
        return button

    def _arrow(self, layout: QHBoxLayout, text: str, step: int) -> QToolButton:
        button = ActionButton(self)
        button.setAutoRaise(True)
        button.setText(text)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.clicked.connect(lambda: self.version_step.emit(step))
        layout.addWidget(button)
        return button

    def hasHeightForWidth(self) -> bool:
        """No: ``sizeHint`` gives the height for the current width (see the class docstring)."""
        return False

    def sizeHint(self) -> QSize:
        """What the content needs at the current width (asked again after ``updateGeometry``)."""
        hint = super().sizeHint()
        width = self._width or self.width()
        height = self.layout().totalHeightForWidth(width) if width > 0 else -1  # -1: nothing wraps
        return QSize(hint.width(), height if height > 0 else hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A new width wraps the text again: the height asked of the layout changes."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._width = 0
            self.updateGeometry()

    def set_version(self, index: int, total: int) -> None:
        """Which of ``total`` versions of the answer is shown (0-based); arrows only when there are several."""
        self.version_label.setText(f"{index + 1}/{total}")
        for widget in (self.older_button, self.version_label, self.newer_button):
            widget.setVisible(total > 1)
        self.older_button.setEnabled(index > 0)
        self.newer_button.setEnabled(index < total - 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A rounded bubble in the current theme's colours (read at paint time, so a theme switch is live)."""
        fill, _accent = bubble_colors(self.role, self.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 10, 10)
        painter.end()

    def set_texts(self, who: str, copy: str, edit: str, regenerate: str, cont: str, delete: str,
                  older: str, newer: str) -> None:
        """Labels that depend on the UI language."""
        self.who.setText(who)
        self.refresh_colors()
        self.older_button.setAccessibleName(older)
        self.older_button.setToolTip(older)
        self.newer_button.setAccessibleName(newer)
        self.newer_button.setToolTip(newer)
        for button, text in ((self.copy_button, copy), (self.edit_button, edit),
                             (self.regenerate_button, regenerate), (self.continue_button, cont),
                             (self.delete_button, delete)):
            button.setText(text)
            button.setAccessibleName(f"{text} ({who})")
        self.body.setAccessibleName(who)

    def refresh_colors(self) -> None:
        """The name line in the current palette (called again after a theme switch)."""
        _fill, accent = bubble_colors(self.role, self.palette())
        self.mark.setStyleSheet(f"color: {accent.name()}; font-size: 12pt;")
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for button, name in ((self.copy_button, "copy"), (self.edit_button, "edit"),
                             (self.regenerate_button, "regenerate")):
            button.setIcon(icon(name, muted))
        self.time.setStyleSheet("color: palette(placeholder-text); font-size: small;")

    def set_time(self, text: str, tooltip: str = "") -> None:
        """When the message was written ("14:05"; the full date in the tooltip)."""
        self.time.setText(text)
        self.time.setToolTip(tooltip)

    def prepare_width(self, width: int) -> None:
        """Wrap the body for a message ``width`` wide before it is first laid out, so its height is right at once."""
        margins = self.layout().contentsMargins()
        self.body.document().setTextWidth(max(width - margins.left() - margins.right(), 50))
        self.body._fit_height()
        self._width = width

    def set_html(self, html: str) -> None:
        """Replace the body (called in batches while streaming, never per token)."""
        self.body.setHtml(html)
        self.body.setVisible(bool(html))

    def set_status(self, text: str, kind: str = "") -> None:
        """Show a state line ("stage", "incomplete", "error", "stopped") or hide it when empty."""
        colors = {"error": "#d64545", "incomplete": "#c17d11", "stopped": "#c17d11"}
        color = colors.get(kind, "palette(placeholder-text)")
        self.status.setStyleSheet(f"color: {color}; font-style: italic;")
        self.status.setText(text)
        self.status.setProperty("kind", kind)
        self.status.setVisible(bool(text))

    def set_stats(self, text: str) -> None:
        """The line under an answer (time to first token, tokens per second)."""
        self.stats.setText(text)

    def set_actions(self, copy: bool, regenerate: bool, edit: bool, cont: bool = False, delete: bool = False) -> None:
        """Which of the actions this message offers right now (``cont``: Continue, for a cut answer)."""
        self.delete_button.setVisible(delete)
        self.copy_button.setVisible(copy)
        self.regenerate_button.setVisible(regenerate)
        self.edit_button.setVisible(edit)
        self.continue_button.setVisible(cont)

    def set_cut(self, text: str) -> None:
        """The line above a message that says the model no longer reads what is above it; empty hides it."""
        self.cut_marker.setText(text)
        self.cut_marker.setVisible(bool(text))

    def add_thumbnail(self, path: str, name: str) -> QToolButton:
        """A placeholder button for an image; ``set_thumbnail`` gives it a picture later."""
        button = QToolButton(self.thumbs)
        button.setIconSize(QSize(THUMB, THUMB))
        button.setFixedSize(THUMB + 8, THUMB + 8)
        button.setAccessibleName(name)
        button.setToolTip(name)
        button.setProperty("image_path", path)
        button.clicked.connect(lambda: self.image_clicked.emit(path))
        self.thumbs_layout.insertWidget(self.thumbs_layout.count() - 1, button)
        self.thumbs.show()
        return button

    @staticmethod
    def set_thumbnail(button: QToolButton, pixmap: QPixmap) -> None:
        """Show a decoded (already scaled) image on a thumbnail button."""
        button.setIcon(QIcon(pixmap))

    def thumbnail_buttons(self) -> list[QToolButton]:
        """The image buttons, in order."""
        return [w for w in self.thumbs.findChildren(QToolButton) if w.property("image_path")]
