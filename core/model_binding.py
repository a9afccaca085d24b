"""Which model a conversation is bound to, as kept in the store's ``conversations.model`` column.

A local model is kept as its file's path (as before); a model on a server the user added as
``server:<server id>/<model name>``. The server's id, not its URL, so that editing the address keeps the
binding; a server removed since leaves the conversation unbound (nothing is sent anywhere).
"""

from __future__ import annotations

import dataclasses

SERVER_PREFIX = "server:"


@dataclasses.dataclass(frozen=True)
class ServerModel:
    """A model on one of the user's servers."""

    server_id: str
    model: str

    def column(self) -> str:
        """The value kept in ``conversations.model``."""
        return f"{SERVER_PREFIX}{self.server_id}/{self.model}"

    @classmethod
    def parse(cls, column: str | None) -> ServerModel | None:
        """The server model a column names, or None (a local model's path, or nothing)."""
        if not column or not column.startswith(SERVER_PREFIX):
            return None
        server_id, _, model = column[len(SERVER_PREFIX):].partition("/")
        return cls(server_id, model) if server_id and model else None
