"""The local/remote rule, the server list, and API keys in the credential store or the private fallback file."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from visiondesk.core.paths import DataPaths
from visiondesk.engine import InputError
from visiondesk.engine.remote import (
    CredentialStoreError,
    KeyRef,
    KeyStore,
    ServerNotAdded,
    ServerStore,
    is_loopback_host,
    normalize_base_url,
    remote_host,
)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST.", "api.localhost", "::1",
                                  "[::1]", "::ffff:127.0.0.1"])
def test_loopback_hosts_are_local(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["192.168.1.20", "10.0.0.5", "gpu.example.org", "0.0.0.0", "::",
                                  "localhost.example.org", "::ffff:10.0.0.1", "fe80::1", ""])
def test_everything_else_is_remote(host: str) -> None:
    assert not is_loopback_host(host)


def test_remote_host_names_where_requests_go() -> None:
    assert remote_host("http://127.0.0.1:8080/v1") is None
    assert remote_host("http://localhost:11434") is None
    assert remote_host("https://gpu.example.org/v1") == "gpu.example.org"
    assert remote_host("http://192.168.1.20:8000/v1") == "192.168.1.20:8000"
    assert remote_host("http://[fd00::2]:8000") == "[fd00::2]:8000"


@pytest.mark.parametrize(("typed", "api"), [
    ("http://gpu:8000", "http://gpu:8000/v1"),
    ("gpu:8000/", "http://gpu:8000/v1"),
    ("https://gpu.example.org/v1/", "https://gpu.example.org/v1"),
    ("http://localhost:11434/v1/chat/completions", "http://localhost:11434/v1"),
    ("https://proxy.example.org/llm/v1", "https://proxy.example.org/llm/v1"),
])
def test_base_urls_are_normalized(typed: str, api: str) -> None:
    assert normalize_base_url(typed) == api


@pytest.mark.parametrize("bad", ["ftp://gpu/v1", "http://", "http://gpu:port/v1", "file:///etc/passwd"])
def test_bad_server_addresses_are_refused_with_an_example(bad: str) -> None:
    with pytest.raises(InputError, match="http"):
        normalize_base_url(bad)


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()],
                         ids=["fail", "null"])
def test_without_a_credential_store_keys_go_to_a_private_announced_file(
        backend: KeyringBackend, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "data" / "server-keys.json"
    keys = KeyStore(backend=backend, fallback_path=path)
    assert keys.uses_fallback_file
    assert keys.notice is not None and str(path) in keys.notice and "only your user account" in keys.notice
    with caplog.at_level(logging.WARNING, logger="visiondesk.engine.remote.keys"):
        keys.set("gpu-1", "sk-secret-1")
        keys.set("gpu-2", "sk-secret-2")
        assert keys.get("gpu-1") == "sk-secret-1"
    announcements = [r for r in caplog.records if "credential store" in r.getMessage()]
    assert len(announcements) == 1, "announced once, not on every use"
    assert all("sk-secret" not in r.getMessage() for r in caplog.records)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    keys.delete("gpu-1")
    again = KeyStore(backend=backend, fallback_path=path)
    assert again.get("gpu-1") is None and again.get("gpu-2") == "sk-secret-2"
    assert not list(path.parent.glob("*.part"))


def test_a_fallback_file_opened_up_by_someone_is_made_private_again(tmp_path: Path) -> None:
    path = tmp_path / "server-keys.json"
    keys = KeyStore(backend=keyring.backends.fail.Keyring(), fallback_path=path)
    keys.set("gpu", "sk-1")
    path.chmod(0o644)
    assert keys.get("gpu") == "sk-1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


class InMemoryCredentialStore(KeyringBackend):
    """A FAKE standing in for the OS credential store (Keychain, Credential Manager, Secret Service), which
    this headless test machine does not have; ``locked`` imitates a keychain that refuses."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.locked = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("the keychain is locked")
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("the keychain is locked")
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("no such password")
        del self.items[(service, username)]


def test_with_a_credential_store_keys_go_there_and_no_file_is_written(tmp_path: Path) -> None:
    store = InMemoryCredentialStore()
    path = tmp_path / "server-keys.json"
    keys = KeyStore(backend=store, fallback_path=path)
    assert not keys.uses_fallback_file and keys.notice is None
    keys.set("gpu", "sk-1")
    assert store.items == {("VisionDesk", "gpu"): "sk-1"}
    assert keys.get("gpu") == "sk-1"
    keys.delete("gpu")
    keys.delete("gpu")  # twice: nothing to forget is not an error
    assert keys.get("gpu") is None
    assert not path.exists()
    store.locked = True
    with pytest.raises(CredentialStoreError, match="Unlock"):
        keys.get("gpu")


def test_servers_are_kept_across_restarts_and_keys_are_not_in_the_file(keys: KeyStore, tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    store = ServerStore(keys, path=path)
    gpu = store.add("http://192.168.1.20:8000", name="GPU box", api_key="sk-very-secret")
    local = store.add("localhost:11434", name="Ollama here")
    assert gpu.has_key and not local.has_key
    assert "sk-very-secret" not in path.read_text()
    with pytest.raises(InputError, match="already"):
        store.add("http://192.168.1.20:8000/v1/")
    again = ServerStore(keys, path=path)
    assert [e.name for e in again.list()] == ["GPU box", "Ollama here"]
    target = again.require("http://192.168.1.20:8000/v1").target("llama3.2-vision")
    assert target.key == KeyRef.stored(gpu.id) and target.api_url == "http://192.168.1.20:8000/v1"
    assert keys.get(gpu.id) == "sk-very-secret"
    confirmed = again.confirm_sending(gpu.id)
    assert confirmed.sending_confirmed
    moved = again.update(gpu.id, base_url="http://192.168.1.21:8000")
    assert not moved.sending_confirmed, "a new address asks for confirmation again"
    again.remove(gpu.id)
    assert keys.get(gpu.id) is None
    with pytest.raises(ServerNotAdded, match="nothing was sent"):
        ServerStore(keys, path=path).require("http://192.168.1.21:8000")


def test_a_damaged_server_list_is_kept_aside_not_lost(keys: KeyStore, tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_text("{not json")
    store = ServerStore(keys, path=path)
    assert store.list() == []
    assert (tmp_path / "servers.json.damaged").read_text() == "{not json"
    store.add("http://10.0.0.2:8000")
    assert json.loads(path.read_text())["schema_version"] == 1


def test_the_users_server_list_lives_in_the_data_directory(isolated_data_dir: Path, keys: KeyStore) -> None:
    paths = DataPaths.default()
    store = ServerStore(keys, paths.servers)
    store.add("http://10.0.0.7:8000", name="lab")
    assert [e["name"] for e in json.loads((isolated_data_dir / "servers.json").read_text())["servers"]] == ["lab"]
    assert ServerStore(keys, paths.servers).find("10.0.0.7:8000") is not None
