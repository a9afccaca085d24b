"""Builds the window and wires views, controllers, the store and the engine thread together.

Each controller receives only the parts it needs; nothing is handed the whole shell.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu
from visiondesk.core.export import export_json, export_markdown
from visiondesk.core.paths import DataPaths
from visiondesk.core.settings import SettingsRepository, resolve_language
from visiondesk.core.store import ConversationStore
from visiondesk.engine import Message, remote
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.engine.pdf_process import pdf_process
from visiondesk.engine.pixel_cache import PixelCache
from visiondesk.engine.remote import KeyStore, ServerStore
from visiondesk.engine.requests import ImageAttachment
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import ModelRegistry

from . import window_placement
from .backend_picker import BackendPicker
from .background import set_error_sink
from .controllers.answer_format import AnswerFormatController
from .controllers.api_server import ApiServerController
from .controllers.batch import BatchController
from .controllers.batch_slots import BatchSlots
from .controllers.chat import ChatController
from .controllers.composer import ComposerController
from .controllers.conversations import ConversationsController
from .controllers.header import HeaderController, local_choices, remote_choices
from .controllers.image_preview import ImagePreviewController
from .controllers.model import ModelController
from .controllers.model_menu import ModelMenuController
from .controllers.remote_session import RemoteSessionController
from .controllers.servers import ServersController
from .controllers.settings import SettingsController
from .controllers.transcript import TranscriptPresenter
from .error_text import error_text
from .i18n import install_language
from .theme import apply_theme
from .views.image_preview import ImagePreviewView
from .views.main_window import MainWindow
from .views.remote_banner import RemoteBanner
from .worker import EngineThread

log = logging.getLogger(__name__)
SAVE_STATE_S = 10.0  # at quit, how long the open conversation's state may take to reach the disk


class AppShell(QObject):
    """One open VisionDesk window with everything behind it."""

    def __init__(self, data_dir: Path | None = None) -> None:
        super().__init__()
        app = QApplication.instance()
        assert isinstance(app, QApplication), "create the QApplication first"
        self.app = app
        self.paths = DataPaths.at(data_dir) if data_dir is not None else DataPaths.default()
        self.data_dir = self.paths.root
        self.repository = SettingsRepository(self.paths.settings)
        self.settings = self.repository.load()
        first_language = self.settings.language is None
        language = resolve_language(self.settings, install_language_probe())
        if first_language:
            self.repository.save(self.settings)
        self.language = install_language(language, self.paths.translations)
        apply_theme(app, self.settings.theme)
        self.store = ConversationStore(self.paths.conversations_db, self.paths.attachments)
        self.pixels = PixelCache(self.paths.pixels)
        pdf_process().stderr_log = self.paths.logs / "pdf-stderr.log"  # why a PDF process died, if it says
        self.servers = ServerStore(KeyStore(fallback_path=self.paths.server_keys), self.paths.servers)
        self.engine = EngineThread(BackendPicker(lambda: LocalEngine(log_dir=self.paths.logs, pixels=self.pixels,
                                                                     cache=self.engine_cache),
                                                 lambda: remote.RemoteBackend(self.servers)))
        self.closed = False  # shutdown has begun
        self.window = w = MainWindow()
        window_placement.restore(w, self.paths.window_state)
        self.notice_error = self._show_error
        set_error_sink(self._show_error)

        self.presenter = TranscriptPresenter(w.transcript, self.store.attachments_dir, self,
                                             time_of=lambda mid: self.store.get_message(mid).created_at)
        self.composer = ComposerController(w.composer, lambda source: self.store.attach(source, self.pixels),
                                           self.store.release, self)
        self.chat = ChatController(self.store, self.engine, self.settings, self.presenter, self.composer, self)
        self.conversations = ConversationsController(self.store, w.sidebar, w.notice, self._forget_images, self)
        self.model = ModelController(self.engine.worker, self.engine.load, self.settings, self.repository,
                                     w.first_run, self._show_pane, self._show_stage,
                                     ModelManager(ModelRegistry(self.paths.model_registry, self.paths.models)), self,
                                     show_notice=self.show_notice)
        self._wire_servers()
        self.header = HeaderController(
            w.header, self.store, self.settings,
            [lambda: local_choices(self.model.models, self.settings, self.model.use_files),
             lambda: remote_choices(self.servers, self.model_menu_controller.reports, self.remote.current,
                                    self.remote.use)],
            [(lambda: self.tr("Open GGUF files…"), self.model.pick_files),
             (lambda: self.tr("Manage models…"), lambda: self.model.open_model_manager())], self,
            current_key=lambda: self.remote.current.column() if self.remote.current else self.settings.model_path or "",
            notify=self.show_notice)
        self.model.loaded.connect(self.header.model_loaded)
        self.model.state_changed.connect(lambda st: self.header.model_state(st, self.model.result))
        # After the remote session took note of what loaded (a server's model or the local one): mark it in use.
        self.model.loaded.connect(lambda _info: self.header.refresh_choices())
        # Opening the switcher asks the servers for their models, as opening the Model menu does.
        w.header.switcher.about_to_show.connect(self.model_menu_controller.refresh)
        self.model_menu_controller.rebuilt.connect(self.header.refresh_choices)
        self.conversations.open_requested.connect(self.header.conversation_opened)
        self.chat.conversation_created.connect(self.header.conversation_opened)
        self.chat.answer_finished.connect(self.header.answer_finished)
        self.settings_controller = SettingsController(
            self.settings, self.repository, w, self.set_theme, self.set_language,
            lambda: self.model.load(first_run=False), self, engine_cache=self.paths.engine_cache)

        # "What the model sees": under the composer's thumbnails, planned on the engine thread.
        preview_view = ImagePreviewView(w.composer)
        w.composer.layout().insertWidget(2, preview_view)
        self.image_preview = ImagePreviewController(preview_view, self.engine, self._history, self)
        self.composer.images_changed.connect(
            lambda sources: self.image_preview.set_images(sources, w.composer.edit.toPlainText().strip()))
        self.composer.images_changed.connect(self._images_waiting)
        w.composer.edit.textChanged.connect(
            lambda: self.image_preview.set_text(w.composer.edit.toPlainText().strip()))
        # Attached images are encoded while the question is typed (a local model with a projector).
        self.composer.prepare_requested.connect(lambda images: self.engine.prepare_images(images, self._history()))
        self.composer.prepare_dropped.connect(self.engine.drop_prepared_images)
        self.model.loaded.connect(self._prepare_pending)  # images attached before the model was there

        self.answer_format = AnswerFormatController(self.store, w.answer_format, lambda: self.language, self,
                                                    show_error=self._show_error)
        self.chat.response_format = self.answer_format.response_format
        self.chat.sees_images = lambda: self.model.result.vision if self.model.result is not None else None
        batch_slots = BatchSlots(self.engine, self.settings, lambda: self.repository.save(self.settings),
                                 self._batch_slots, self._remote_target, self.servers, self)
        self.batch = BatchController(self.engine, self.paths.batches, lambda: self.language, w, batch_slots, self)
        self.batch.before_send = self.remote.before_batch  # a server's model: asked once, as the chat asks
        self.api_server = ApiServerController(self.engine, w, self)

        self.conversations.open_requested.connect(self.chat.open_conversation)
        # A deleted conversation's saved engine state goes at once, not when the cache next needs room.
        self.conversations.deleted.connect(lambda cid: self.engine.forget_conversation(cid, self.engine_cache()))
        self.conversations.deleted.connect(self.chat.conversation_deleted)
        self.conversations.open_requested.connect(self._conversation_shown)
        self.conversations.open_requested.connect(self.remote.bind_conversation)
        self.conversations.open_requested.connect(self.answer_format.show_conversation)
        self.chat.conversation_created.connect(self.answer_format.on_created)
        self.model.loaded.connect(lambda _result: (self.batch.fill_choices(), self.api_server.model_changed()))
        # A model loaded while a conversation is open (a switch, a reload after settings): bring its state back.
        self.model.loaded.connect(lambda _result: self.engine.switch_conversation(None, self.chat.conversation_id))
        w.batch_action.triggered.connect(self.batch.open)
        w.api_server_action.triggered.connect(self.api_server.open)
        self.chat.conversation_created.connect(self.conversations.on_created)
        self.chat.busy_changed.connect(self._busy)
        w.files_dropped.connect(self.composer.add_files)
        w.image_dropped.connect(self.composer.add_image)
        w.new_chat_action.triggered.connect(self.conversations.new_chat)
        w.open_files_action.triggered.connect(self.model.pick_files)
        w.model_manager_action.triggered.connect(lambda: self.model.open_model_manager())
        w.settings_action.triggered.connect(self.settings_controller.open)
        w.find_action.triggered.connect(self.find)
        w.stop_action.triggered.connect(self.chat.stop)
        w.regenerate_action.triggered.connect(lambda: self.chat.regenerate())
        w.export_md_action.triggered.connect(self.export_markdown_dialog)
        w.export_json_action.triggered.connect(self.export_json_dialog)
        w.quit_action.triggered.connect(w.close)
        w.close_requested.connect(self.shutdown)
        self._busy(False)
        self.conversations.refresh()
        self.conversations.purge(self.store.now())  # what a crash left deleted, not what this window deletes
        self.chat.open_conversation(None)
        self.model.start()
        # What start-up made (modules, the window) lives as long as the window: Python's full collections skip it
        # until ``shutdown`` (a full collection walking it stalled scrolling a long conversation by 70-250 ms).
        gc.freeze()

    def _wire_servers(self) -> None:
        """The Servers page (File menu), the Model menu, the banner beside the model's name, conversations' bindings."""
        w = self.window
        self.banner = RemoteBanner(w.chat_page)
        w.chat_page.layout().insertWidget(0, self.banner)
        self.servers_controller = ServersController(self.servers, lambda: self.window, self)
        self.servers_action = QAction(w)
        w.file_menu.insertAction(w.model_manager_action, self.servers_action)
        self.servers_action.triggered.connect(self.servers_controller.open)
        self.remote = RemoteSessionController(self.servers, self.store, self.model.load_target,
                                              lambda: self.model.load(first_run=False),
                                              lambda: self.settings.model_path, self.banner, self._notice, self)
        self.servers_controller.model_chosen.connect(self.remote.use)
        self.model_menu = QMenu(w)
        w.menuBar().insertMenu(w.chat_menu.menuAction(), self.model_menu)
        self.model_menu_controller = ModelMenuController(
            self.model_menu, self.model.models.installed, self.servers, self.model.use_files, self.remote.use,
            lambda: self.remote.current, self.servers_controller.model_text, self)
        self.servers_controller.tested.connect(self.model_menu_controller.remember)
        self.model.loaded.connect(self.remote.on_loaded)
        self.engine.worker.load_failed.connect(self.remote.on_load_failed)
        self.chat.before_answer = self.remote.before_answer
        self._retranslate_servers()

    def _retranslate_servers(self) -> None:
        self.servers_action.setText(self.tr("Ser&vers…"))
        self.model_menu.setTitle(self.tr("&Model"))
        self.servers_controller.retranslate()

    def _batch_slots(self, parallel: int) -> None:
        """Load the model again with ``parallel`` sequences for a batch job; the open conversation's state is kept."""
        self.engine.switch_conversation(self.chat.conversation_id, None)  # restored once loaded (model.loaded)
        self.model.reload_with_slots(parallel)

    def _remote_target(self) -> remote.RemoteTarget | None:
        """The server model the window uses, or None for the local one."""
        current = self.remote.current
        return None if current is None else self.servers.get(current.server_id).target(current.model)

    def _notice(self, text: str) -> None:
        self.window.notice.label.setText(text)
        self.window.notice.action_button.hide()
        self.window.notice.show()

    # -- window-level behaviour --------------------------------------------------------------------

    def _images_waiting(self, images: list[ImageAttachment]) -> None:
        """The first-run page names the images attached before a model was there (they stay in the composer)."""
        names = ", ".join(image.name for image in images)
        self.window.first_run.set_waiting(QApplication.translate(
            "FirstRun", "Attached, waiting for a model: %1").replace("%1", names) if names else "")

    def _forget_images(self, digests: Sequence[str]) -> None:
        """Purged images' prepared pixels and embeddings, on disk (on the purge's thread) and in the engine."""
        self.pixels.forget(digests)
        self.engine_cache().forget_images(digests)
        self.engine.forget_images(digests)

    def engine_cache(self) -> DiskCache:
        """Where the local engine keeps embeddings and conversation states, within the size the settings allow."""
        return DiskCache(self.paths.engine_cache, self.settings.engine_cache_mb * 1024**2)

    def _history(self) -> list[Message]:
        """The open conversation as the engine will read it (a new chat: the system prompt alone)."""
        if self.chat.conversation_id is not None:
            return self.chat.history(self.chat.conversation_id)
        return [Message.system(self.settings.system_prompt)] if self.settings.system_prompt else []

    def _prepare_pending(self, _result: object = None) -> None:
        if self.composer.pending:
            self.engine.prepare_images([p.attachment for p in self.composer.pending], self._history())

    def _busy(self, busy: bool) -> None:
        self.window.stop_action.setEnabled(busy)
        self.window.regenerate_action.setEnabled(not busy)

    def _show_stage(self, text: str) -> None:
        self.window.stage_label.setText(text)
        self.window.stage_label.setVisible(bool(text))

    def _show_error(self, exc: BaseException) -> None:
        self.show_notice(error_text(exc))

    def show_notice(self, text: str) -> None:
        """A message in the bar above the window's content (no action button)."""
        notice = self.window.notice
        notice.label.setText(text)
        notice.action_button.hide()
        notice.show()

    def _show_pane(self, chat: bool) -> None:
        """The first-run page only while there is no model and no conversation open: history stays reachable."""
        self.window.show_chat(chat or self.chat.conversation_id is not None)

    def _conversation_shown(self, conversation_id: int | None) -> None:
        self.window.show_chat(conversation_id is not None or self.model.result is not None)

    def find(self) -> None:
        """Ctrl+F: search the conversations (titles and text)."""
        search = self.window.sidebar.search
        search.setFocus()
        search.selectAll()

    def set_theme(self, theme: str) -> None:
        """Apply a theme and re-render the transcript's documents in its colours."""
        apply_theme(self.app, theme)
        self.presenter.retranslate()
        self.window.sidebar.refresh_icons()
        self.window.update()

    def set_language(self, language: str) -> None:
        """Switch the UI language live."""
        self.language = install_language(language, self.paths.translations)
        self.window.retranslate()  # now; Qt's LanguageChange events follow for the other widgets
        self._retranslate_servers()
        self.presenter.retranslate()
        self.conversations.refresh()
        self.header.refresh_choices()
        self.header.show_model()
        self.header.show_context()

    # -- export ------------------------------------------------------------------------------------

    def export_markdown(self, folder: Path) -> Path | None:
        """Export the open conversation as Markdown with its images into ``folder``."""
        if self.chat.conversation_id is None:
            return None
        words = {"user": self.tr("You"), "assistant": self.tr("Assistant"), "system": self.tr("System"),
                 "model": self.tr("Model: %1"), "incomplete": self.tr("(incomplete answer)"),
                 "untitled": self.tr("Conversation %1"),
                 "versions": self.tr("Other versions of this answer (%1)")}
        return export_markdown(self.store, self.chat.conversation_id, folder, words)

    def export_json(self, path: Path) -> Path | None:
        """Export the open conversation as JSON to ``path``."""
        if self.chat.conversation_id is None:
            return None
        return export_json(self.store, self.chat.conversation_id, path)

    def export_markdown_dialog(self) -> None:
        """Ask for a folder, then export (the dialog does not block the event loop)."""
        if self.chat.conversation_id is None:
            return
        dialog = QFileDialog(self.window, self.tr("Export as Markdown into a folder"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda f: self._exported(self.export_markdown(Path(f))))
        dialog.open()

    def export_json_dialog(self) -> None:
        """Ask for a file name, then export."""
        if self.chat.conversation_id is None:
            return
        dialog = QFileDialog(self.window, self.tr("Export as JSON"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.setNameFilter("JSON (*.json)")
        dialog.fileSelected.connect(lambda f: self._exported(self.export_json(Path(f))))
        dialog.open()

    def _exported(self, path: Path | None) -> None:
        if path is not None:
            self.window.notice.label.setText(self.tr("Exported to %1").replace("%1", str(path)))
            self.window.notice.action_button.hide()
            self.window.notice.show()

    # -- shutdown ----------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop generation and the engine's child process, then close the database (idempotent)."""
        if self.closed:
            return
        self.closed = True
        window_placement.save(self.window, self.paths.window_state)
        self.conversations.close()
        self.model.close_model_manager()
        self.chat.stop()
        self.api_server.shutdown()  # its requests end; then the batch's image is cancelled, then the engine stops
        self.batch.wait(timeout_s=10.0)
        if self.model.state == "loaded":  # not while a model loads: quitting stops that at once
            self.engine.save_conversation(self.chat.conversation_id, timeout_s=SAVE_STATE_S)  # reopened: not re-read
        stopped = self.engine.stop()
        self.chat.keep_cut_answer()  # keep what was written; it was cut by quitting
        log.info("engine thread stopped: %s", stopped)
        set_error_sink(None)
        try:  # a conversation deleted in the last seconds: its Undo went with the window, and the composer's
            self.conversations.purge_now(spare_unsent=False)  # images and drafts with it
        except Exception:
            log.exception("deleted conversations not purged on quitting")
        self.store.close()
        gc.unfreeze()  # what start-up made can be collected again


def install_language_probe() -> str:
    """The system locale's name (for the first run's language)."""
    from PySide6.QtCore import QLocale

    return QLocale.system().name()
