"""Which server model the chat answers with, and what goes with it.

Switching to it, the remote banner, the one confirmation before images leave this computer, and each
conversation's binding to its backend and model.

Only servers in the ``ServerStore`` are ever loaded (the remote backend refuses any other too). A server on
the loopback interface counts as local; for any other host the banner says so beside the model's name, and
the first message to it asks once (``ServerStore.confirm_sending`` keeps the answer, across restarts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget
from visiondesk.core.model_binding import ServerModel
from visiondesk.core.store import ConversationStore
from visiondesk.engine import BackendInfo, InputError
from visiondesk.engine.llama import LoadResult
from visiondesk.engine.remote import RemoteTarget, ServerStore, remote_host

from ..views.remote_banner import RemoteBanner

log = logging.getLogger(__name__)


class RemoteSessionController(QObject):
    """Binds the chat to a server's model, or back to the local one."""

    def __init__(self, servers: ServerStore, conversations: ConversationStore,
                 load_target: Callable[[RemoteTarget, str], None], load_local: Callable[[], None],
                 local_model: Callable[[], str | None], banner: RemoteBanner, notice: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.servers, self.conversations = servers, conversations
        self._load_target, self._load_local, self._local_model = load_target, load_local, local_model
        self.banner, self._notice = banner, notice
        self.current: ServerModel | None = None  # None: the local model
        self._pending: ServerModel | None = None
        self.confirm: Callable[[str, str, bool], bool] = self._ask  # (server name, host, for a batch) -> agreed
        self.asked = 0  # how many times the confirmation was asked (tests and logs)

    def use(self, server_id: str, model: str) -> None:
        """Switch the chat to ``model`` on the server ``server_id`` (loaded on the engine thread)."""
        entry = self.servers.get(server_id)
        self._pending = ServerModel(server_id, model)
        self._load_target(entry.target(model), f"{model} ({entry.name})")

    def on_loaded(self, info: BackendInfo) -> None:
        """A model is ready: remember which, and show its name (and the remote warning)."""
        if isinstance(info, LoadResult):
            self.current = None
        elif self._pending is not None:
            self.current = self._pending
        self._pending = None
        self.banner.show_model(info.model_name, info.remote_host)

    def on_load_failed(self, _message: str) -> None:
        """The switch did not happen."""
        self._pending = None

    def before_answer(self, conversation_id: int) -> str | None:
        """Before anything is sent: None to go on, else why nothing was sent (kept as the answer's error).

        Binds the conversation to the model that answers it, and asks once before the first message to a
        remote server.
        """
        bound = self.current
        if bound is None:
            self.conversations.set_conversation_model(conversation_id, self._local_model())
            return None
        try:
            refused = self._agreed(batch=False)
        except InputError:
            return self.tr("This server is no longer one of your servers, so nothing was sent to it.")
        if refused:
            return self.tr("Not sent: you did not agree to send to %1. Regenerate to be asked again.") \
                .replace("%1", refused)
        self.conversations.set_conversation_model(conversation_id, bound.column())
        return None

    def before_batch(self) -> str | None:
        """Before a batch job on the window's model: None to go on, else why no image will be sent."""
        try:
            refused = self._agreed(batch=True)
        except InputError:
            return self.tr("This server is no longer one of your servers, so nothing was sent to it.")
        if refused:
            return self.tr("The batch did not start: you did not agree to send its images to %1.") \
                .replace("%1", refused)
        return None

    def _agreed(self, batch: bool) -> str | None:
        """The one question per server: None to go on (local, or agreed now or before), else the host refused.

        Raises ``InputError`` when the server is no longer one of the user's.
        """
        if self.current is None:
            return None
        entry = self.servers.get(self.current.server_id)
        host = remote_host(entry.base_url)
        if host and not entry.sending_confirmed:
            self.asked += 1
            if not self.confirm(entry.name, host, batch):
                log.info("the user did not agree to send to %s", host)
                return host
            self.servers.confirm_sending(entry.id)
        return None

    def bind_conversation(self, conversation_id: int | None) -> None:
        """A conversation was opened: answer it with the backend and model it was bound to."""
        if conversation_id is None:
            return
        column = self.conversations.get_conversation(conversation_id).model
        bound = ServerModel.parse(column)
        if bound is None:
            if column and self.current is not None:
                self.current = None
                self._load_local()
            return
        if bound in (self.current, self._pending):
            return
        try:
            self.use(bound.server_id, bound.model)
        except InputError:
            self._notice(self.tr("This conversation used a server that is no longer one of your servers; "
                                 "choose another model to go on."))

    def _ask(self, name: str, host: str, batch: bool) -> bool:
        parent = self.banner.window()
        text = (self.tr("The images of this batch go to %1 (%2) and leave this computer. Send them there? "
                        "You will not be asked again for this server.") if batch else
                self.tr("Messages and images you send in this chat go to %1 (%2) and leave this computer. "
                        "Send them there? You will not be asked again for this server."))
        answer = QMessageBox.question(
            parent if isinstance(parent, QWidget) else None, self.tr("Send to a remote server?"),
            text.replace("%1", name).replace("%2", host),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes
