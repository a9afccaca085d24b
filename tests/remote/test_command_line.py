"""``visiondesk ask|chat --server`` and ``visiondesk servers``, against the real llama-server on loopback."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
from visiondesk.cli import main
from visiondesk.cli.backends import CommandContext, server_store
from visiondesk.engine.remote import KeyStore, ServerStore

from tests.remote.conftest import API_KEY, LlamaServer, free_port

MODEL = "tiny-vision"
QUICK = ["--max-tokens", "8", "--temperature", "0"]


@pytest.fixture
def context(keys: KeyStore, tmp_path: Path) -> CommandContext:
    """The commands' server list in this test's folder, read afresh by every command as a real run would."""
    return CommandContext(servers=lambda: ServerStore(keys, path=tmp_path / "servers.json"))


def out_err(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_ask_a_server_not_added_about_an_image(context: CommandContext, llama_server: LlamaServer,
                                               pictures: dict[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "--server", llama_server.url, "--model", MODEL, "--image", str(pictures["photo"]), *QUICK,
                 "--stats", "What is in the picture?"], context)
    out, err = out_err(capsys)
    assert code == 0, err
    assert out.strip(), "the answer streamed to stdout"
    assert "not one of your servers: using it for this run only" in err
    assert "[server on this computer (loopback)]" in err and "leave this computer" not in err
    assert f"loaded: {MODEL} on this computer: 127.0.0.1:" in err
    stats = json.loads(err.strip().splitlines()[-1])
    assert stats["backend"] == "remote" and stats["images_encoded"] == 1 and stats["completion_tokens"] == 8
    assert not (tmp_path / "servers.json").exists(), "a one-off server is never saved"


def test_a_host_name_counts_as_remote_and_the_output_says_images_leave(
        context: CommandContext, llama_server: LlamaServer, capsys: pytest.CaptureFixture[str]) -> None:
    # The privacy rule resolves no name: this machine's own host name (which resolves to loopback here) is
    # treated as remote, which lets a test reach a "remote" server without a network.
    host = socket.gethostname()
    assert all(a[4][0].startswith("127.") for a in socket.getaddrinfo(host, None)), "test needs a loopback hostname"
    port = llama_server.url.rsplit(":", 1)[1]
    code = main(["ask", "--server", f"http://{host}:{port}", "--model", MODEL, *QUICK, "Hello"], context)
    _, err = out_err(capsys)
    assert code == 0, err
    assert f"[remote: {host}:{port} — images you send leave this computer]" in err


def test_chat_with_a_server_keeps_the_conversation(context: CommandContext, llama_server: LlamaServer,
                                                   pictures: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"/image {pictures['logo']}\nWhat is it?\nAnd its colour?\n"))
    code = main(["chat", "--server", llama_server.url, "--model", MODEL, *QUICK, "--stats"], context)
    out, err = out_err(capsys)
    assert code == 0, err
    stats = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(stats) == 2 and [s["images_encoded"] for s in stats] == [1, 1], "the image stays in the conversation"
    assert stats[1]["prompt_tokens"] > stats[0]["prompt_tokens"] + 8, "the follow-up resent the first turn"
    assert len([line for line in out.splitlines() if line.strip()]) >= 2


def test_servers_add_list_test_use_remove(context: CommandContext, llama_server: LlamaServer,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servers", "list"], context) == 0
    assert "No servers yet" in out_err(capsys)[0]
    assert main(["servers", "add", llama_server.url, "--name", "lab", "--test"], context) == 0
    out, _ = out_err(capsys)
    assert out.startswith("Added lab (http://127.0.0.1:") and "this computer" in out
    assert "reachable, llama-server, 1 model(s)" in out, "--test tests it once added"
    assert main(["servers", "add", llama_server.url + "/v1/"], context) == 2
    assert "already one of your servers" in out_err(capsys)[1]
    assert main(["servers", "list"], context) == 0
    out, _ = out_err(capsys)
    assert out.startswith("lab\thttp://127.0.0.1:") and "/v1\tno key\tthis computer" in out
    assert main(["servers", "test", "lab"], context) == 0
    out, _ = out_err(capsys)
    assert "reachable, llama-server, 1 model(s), on this computer" in out
    assert f"  {MODEL}: sees images, context 4096" in out
    assert main(["ask", "--server", llama_server.url, "--model", MODEL, *QUICK, "Hi"], context) == 0
    assert "for this run only" not in out_err(capsys)[1], "an added server is used as added"
    assert main(["servers", "remove", llama_server.url], context) == 0
    assert out_err(capsys)[0].startswith("Removed lab")
    assert main(["servers", "test", "lab"], context) == 2
    assert "'lab' is not one of your servers. Your servers: none yet" in out_err(capsys)[1]
    assert main(["servers", "list"], context) == 0
    assert "No servers yet" in out_err(capsys)[0]


def test_a_wrong_key_is_named_and_the_right_one_works(context: CommandContext, llama_server_keyed: LlamaServer,
                                                      keys: KeyStore, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VD_WRONG_KEY", "not-the-key")
    monkeypatch.setenv("VD_GOOD_KEY", API_KEY)
    assert main(["servers", "add", llama_server_keyed.url, "--name", "keyed", "--api-key-env", "VD_WRONG_KEY"],
                context) == 0
    out, err = out_err(capsys)
    assert "not-the-key" not in out + err, "a key is never printed"
    assert keys.notice is not None and keys.notice in err, "where the key went is announced (no credential store)"
    assert main(["servers", "test", "keyed"], context) == 1
    out, _ = out_err(capsys)
    assert "reachable, but" in out and "refused the request (401). Check the API key" in out
    assert main(["ask", "--server", llama_server_keyed.url, "--model", MODEL, *QUICK, "Hi"], context) == 1
    assert "Check the API key" in out_err(capsys)[1]
    code = main(["ask", "--server", llama_server_keyed.url, "--model", MODEL, "--api-key-env", "VD_GOOD_KEY",
                 *QUICK, "Hi"], context)
    out, err = out_err(capsys)
    assert code == 0 and out.strip(), err
    assert main(["servers", "remove", "keyed"], context) == 0
    assert main(["ask", "--server", llama_server_keyed.url, "--model", MODEL, *QUICK, "Hi"], context) == 1
    assert "It needs an API key" in out_err(capsys)[1]


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["--model", "llama3.2-vision"], 2, f"has no model called 'llama3.2-vision'. It has: {MODEL}"),
    (["--model", MODEL, "--mmproj", "x.gguf"], 2, "--mmproj is for a local model file"),
    (["--model", MODEL, "--api-key-env", "VD_UNSET_VAR"], 2, "VD_UNSET_VAR that should hold the API key is not set"),
])
def test_bad_input_exits_2_with_the_fix(context: CommandContext, llama_server: LlamaServer, argv: list[str],
                                        code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--server", llama_server.url, *argv, "Hi"], context) == code
    assert message in out_err(capsys)[1]


def test_exit_codes_without_a_server_to_talk_to(context: CommandContext, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--server", "ftp://gpu/v1", "--model", MODEL, "Hi"], context) == 2
    assert "is not a server address" in out_err(capsys)[1]
    assert main(["ask", "--model", "x.gguf", "--api-key-env", "VAR", "Hi"], context) == 2
    assert "--api-key-env is for a server" in out_err(capsys)[1]
    port = free_port()  # nothing listens there
    assert main(["ask", "--server", f"http://127.0.0.1:{port}", "--model", MODEL, "Hi"], context) == 1
    assert f"Cannot reach the server at http://127.0.0.1:{port}/v1" in out_err(capsys)[1]
    assert main(["servers", "add", "http://10.0.0.9:8000", "--api-key-env", "VD_UNSET_VAR"], context) == 2
    assert "VD_UNSET_VAR: that environment variable is not set" in out_err(capsys)[1]
    assert main(["servers", "remove", "ghost"], context) == 2


def test_by_default_the_commands_keep_servers_in_the_data_directory(isolated_data_dir: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["servers", "add", "http://10.0.0.7:8000", "--name", "lab"]) == 0
    assert "(http://10.0.0.7:8000/v1, remote: 10.0.0.7:8000)" in out_err(capsys)[0]
    saved = json.loads((isolated_data_dir / "servers.json").read_text())["servers"]
    assert [(s["name"], s["base_url"]) for s in saved] == [("lab", "http://10.0.0.7:8000/v1")]
    assert server_store().keys.fallback_path == isolated_data_dir / "server-keys.json"
    assert main(["servers", "list"]) == 0
    assert out_err(capsys)[0].startswith("lab\thttp://10.0.0.7:8000/v1\tno key\tremote: 10.0.0.7:8000")
