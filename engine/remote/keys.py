"""API keys of the servers the user added: in the operating system's credential store, through ``keyring``.

Where no credential store exists (a headless Linux without a Secret Service, a minimal container), keys
go to a fallback file in the data directory that only the user can read (mode 0600, in a 0700 folder),
and ``KeyStore.notice`` says so in words the Servers page and the command line show; the log says it
once too. A store that exists but refuses (a locked keychain) is an error, never a silent fallback.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CredentialStoreError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "VisionDesk"


def has_credential_store(backend: KeyringBackend) -> bool:
    """Whether ``backend`` is a real store, not keyring's "none found" (fail) or do-nothing (null) backend."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


class KeyStore:
    """Keeps one API key per server id; never logs a key.

    ``keyring`` (about 0.1 s to import, more to find the system's store) is asked on first use, not when the
    store is made: the desktop window makes one at start-up and needs a key only when it talks to a server.
    """

    def __init__(self, fallback_path: Path, backend: KeyringBackend | None = None) -> None:
        """``fallback_path``: the file keys go to where no credential store exists (the data directory's)."""
        self._given = backend
        self._found: KeyringBackend | None = None
        self._fallback_path = fallback_path
        self._file_forced = False  # the store said there is none after all (NoKeyringError)
        self._announced = False

    @property
    def _backend(self) -> KeyringBackend:
        if self._found is None:
            import keyring

            self._found = self._given or keyring.get_keyring()
        return self._found

    @property
    def _use_file(self) -> bool:
        return self._file_forced or not has_credential_store(self._backend)

    @property
    def fallback_path(self) -> Path:
        """The fallback file (used only where no credential store exists)."""
        return self._fallback_path

    @property
    def uses_fallback_file(self) -> bool:
        """True where keys go to the fallback file instead of the credential store."""
        return self._use_file

    @property
    def notice(self) -> str | None:
        """What to tell the user about where keys are kept, when it is not the system's credential store."""
        if not self._use_file:
            return None
        return (f"No system credential store (keychain, Credential Manager, Secret Service) was found, so API keys "
                f"are kept in {self.fallback_path}, a file only your user account can read. Install and unlock a "
                "credential store to keep them there instead.")

    def get(self, server_id: str) -> str | None:
        """The key kept for ``server_id``, or None."""
        import keyring.errors

        if self._use_file:
            return self._read_file().get(server_id)
        try:
            return self._backend.get_password(SERVICE, server_id)
        except keyring.errors.NoKeyringError:
            self._switch_to_file()
            return self._read_file().get(server_id)
        except keyring.errors.KeyringError as exc:
            raise CredentialStoreError("read", str(exc) or type(exc).__name__) from exc

    def set(self, server_id: str, key: str) -> None:
        """Keep ``key`` for ``server_id``, replacing any earlier one."""
        import keyring.errors

        if not self._use_file:
            try:
                self._backend.set_password(SERVICE, server_id, key)
                return
            except keyring.errors.NoKeyringError:
                self._switch_to_file()
            except keyring.errors.KeyringError as exc:
                raise CredentialStoreError("store", str(exc) or type(exc).__name__) from exc
        keys = self._read_file()
        keys[server_id] = key
        self._write_file(keys)

    def delete(self, server_id: str) -> None:
        """Forget the key of ``server_id`` (nothing happens when there is none)."""
        import keyring.errors

        if not self._use_file:
            try:
                self._backend.delete_password(SERVICE, server_id)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                raise CredentialStoreError("delete", str(exc) or type(exc).__name__) from exc
            return
        keys = self._read_file()
        if keys.pop(server_id, None) is not None:
            self._write_file(keys)

    def _switch_to_file(self) -> None:
        self._file_forced = True

    def _announce(self) -> None:
        if not self._announced:
            self._announced = True
            log.warning("%s", self.notice)

    def _read_file(self) -> dict[str, str]:
        self._announce()
        path = self.fallback_path
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            return {}
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s was readable by other users; made it private again (mode 0600).", path)
            os.chmod(path, 0o600)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CredentialStoreError("read", f"{path} is damaged: {exc}; delete it and enter the keys again") from exc
        keys = data.get("keys", {}) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {}

    def _write_file(self, keys: dict[str, str]) -> None:
        self._announce()
        path = self.fallback_path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".part")
        tmp.unlink(missing_ok=True)
        # Created 0600 from the start (umask can only remove bits), never written with wider rights first.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"schema_version": 1, "keys": keys}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
