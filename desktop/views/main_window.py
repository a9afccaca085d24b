"""The main window: sidebar | (first-run page or chat pane), menus, a notice bar with Undo."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .answer_format import AnswerFormatBox
from .composer import ComposerView, local_files
from .first_run import FirstRunView
from .follows_language import FollowsLanguage
from .header import ModelHeader
from .sidebar import SidebarView
from .transcript import TranscriptView


class NoticeBar(QFrame):
    """A one-line message with an optional action button (Undo) and a close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.action_button = QPushButton(self)
        self.close_button = QPushButton("✕", self)
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self.hide()


class MainWindow(FollowsLanguage, QMainWindow):
    """Layout, menus and window-level drops. Logic lives in the controllers."""

    files_dropped = Signal(list)
    image_dropped = Signal(QImage)
    close_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.resize(1100, 760)
        self.sidebar = SidebarView(self)
        self.first_run = FirstRunView(self)
        self.transcript = TranscriptView(self)
        self.composer = ComposerView(self)
        self.answer_format = AnswerFormatBox(self)
        self.stage_label = QLabel(self)
        self.stage_label.setObjectName("stage")
        self.stage_label.setStyleSheet("color: palette(placeholder-text); padding: 2px 16px;")
        self.stage_label.hide()
        chat = QWidget(self)
        chat_layout = QVBoxLayout(chat)
        chat_layout.setContentsMargins(0, 0, 8, 8)
        chat_layout.addWidget(self.transcript, 1)
        chat_layout.addWidget(self.stage_label)
        chat_layout.addWidget(self.answer_format)
        chat_layout.addWidget(self.composer)
        self.chat_page = chat
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.first_run)
        self.stack.addWidget(chat)
        self.header = ModelHeader(self)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.header)
        right_layout.addWidget(self.stack, 1)
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([250, 850])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.notice = NoticeBar(central)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self._build_actions()
        self.retranslate()

    def _action(self, shortcut: QKeySequence | str | None = None) -> QAction:
        action = QAction(self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_chat_action = self._action(QKeySequence.StandardKey.New)
        self.open_files_action = self._action(QKeySequence.StandardKey.Open)
        self.export_md_action = self._action()
        self.export_json_action = self._action()
        self.settings_action = self._action(QKeySequence.StandardKey.Preferences)
        self.quit_action = self._action(QKeySequence.StandardKey.Quit)
        self.stop_action = self._action(Qt.Key.Key_Escape)
        self.stop_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.regenerate_action = self._action("Ctrl+R")
        self.find_action = self._action(QKeySequence.StandardKey.Find)
        # The platform's Preferences key is empty on Linux and Windows: Ctrl+, as in most editors.
        self.settings_action.setShortcuts([k for k in (*QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences),
                                                       QKeySequence("Ctrl+,")) if not k.isEmpty()])
        self.model_manager_action = self._action()
        self.file_menu = self.menuBar().addMenu("")
        for a in (self.new_chat_action, self.open_files_action, self.model_manager_action, None,
                  self.export_md_action, self.export_json_action, None, self.settings_action, None,
                  self.quit_action):
            self.file_menu.addSeparator() if a is None else self.file_menu.addAction(a)
        self.chat_menu = self.menuBar().addMenu("")
        self.chat_menu.addAction(self.stop_action)
        self.chat_menu.addAction(self.regenerate_action)
        self.chat_menu.addSeparator()
        self.chat_menu.addAction(self.find_action)
        self.batch_action = self._action()
        self.api_server_action = self._action()
        self.tools_menu = self.menuBar().addMenu("")
        self.tools_menu.addAction(self.batch_action)
        self.tools_menu.addAction(self.api_server_action)

    def show_chat(self, chat: bool) -> None:
        """The chat pane (a model is loaded) or the first-run page."""
        self.stack.setCurrentWidget(self.chat_page if chat else self.first_run)

    def retranslate(self) -> None:
        """Every fixed string of the window, in the current language."""
        self.setWindowTitle("VisionDesk")
        self.file_menu.setTitle(self.tr("&File"))
        self.chat_menu.setTitle(self.tr("&Chat"))
        self.tools_menu.setTitle(self.tr("&Tools"))
        for action, text in (
            (self.new_chat_action, self.tr("&New chat")),
            (self.open_files_action, self.tr("&Open GGUF files…")),
            (self.model_manager_action, self.tr("&Models…")),
            (self.export_md_action, self.tr("Export as &Markdown…")),
            (self.export_json_action, self.tr("Export as &JSON…")),
            (self.settings_action, self.tr("&Settings…")),
            (self.quit_action, self.tr("&Quit")),
            (self.stop_action, self.tr("&Stop")),
            (self.regenerate_action, self.tr("&Regenerate")),
            (self.find_action, self.tr("&Find in conversations")),
            (self.batch_action, self.tr("&Batch…")),
            (self.api_server_action, self.tr("Local &API server…")),
        ):
            action.setText(text)
        sb = self.sidebar
        sb.new_button.setText(self.tr("New chat"))
        sb.new_button.setAccessibleName(self.tr("New chat"))
        sb.new_button.setToolTip(self.tr("New chat (Ctrl+N)"))
        sb.search.setPlaceholderText(self.tr("Search conversations"))
        sb.search.setAccessibleName(self.tr("Search conversations"))
        sb.list.setAccessibleName(self.tr("Conversations"))
        c = self.composer
        c.edit.setPlaceholderText(self.tr("Ask about your images… (Enter sends, Shift+Enter for a new line)"))
        c.edit.setAccessibleName(self.tr("Message"))
        c.attach_button.setToolTip(self.tr("Attach images"))
        c.attach_button.setAccessibleName(self.tr("Attach images"))
        c.send_button.setText(self.tr("Send"))
        c.send_button.setAccessibleName(self.tr("Send"))
        c.stop_button.setText(self.tr("Stop"))
        c.stop_button.setAccessibleName(self.tr("Stop"))
        c.stop_button.setToolTip(self.tr("Stop (Esc)"))
        c.editing_label.setText(self.tr("Editing your last message. Sending replaces it and the answer."))
        c.cancel_edit_button.setText(self.tr("Cancel edit"))
        c.pages_button.setText(self.tr("Choose pages…"))
        c.cancel_edit_button.setAccessibleName(self.tr("Cancel edit"))
        self.transcript.empty_label.setText(self.tr("Drop images here, paste them, or attach them, "
                                                    "then ask a question."))
        self.transcript.setAccessibleName(self.tr("Conversation"))
        fr = self.first_run
        fr.title.setText(self.tr("Welcome to VisionDesk"))
        fr.explanation.setText(self.tr(
            "VisionDesk answers questions about your images with a vision-language model that runs "
            "entirely on this computer. To start, get a model or open GGUF files you already have "
            "(a model and, for images, its projector)."))
        fr.explanation.setMinimumHeight(fr.explanation.heightForWidth(fr.explanation.width()) + 8)
        fr.get_model_button.setText(self.tr("Get a model…"))
        fr.get_model_button.setAccessibleName(self.tr("Get a model"))
        fr.open_files_button.setText(self.tr("Open GGUF files…"))
        fr.open_files_button.setAccessibleName(self.tr("Open GGUF files"))
        self.notice.close_button.setAccessibleName(self.tr("Dismiss"))
        self.notice.close_button.setToolTip(self.tr("Dismiss"))
        self.header.switcher.setAccessibleName(self.tr("Model"))
        self.header.switcher.setToolTip(self.tr("The model that answers (click to switch)"))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept files and image data dropped anywhere on the window."""
        mime = event.mimeData()
        if local_files(mime) or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Hand dropped files or image data to the composer controller."""
        mime = event.mimeData()
        files = local_files(mime)
        if files:
            self.files_dropped.emit(files)
        elif mime.hasImage():
            self.image_dropped.emit(mime.imageData())
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Let the app shut the engine down cleanly first."""
        self.close_requested.emit()
        super().closeEvent(event)
