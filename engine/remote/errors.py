"""Typed errors of remote servers, each with the fix in plain words.

``InputError`` subclasses are problems with what the user sent or configured (a model name, an image, a
server not added); the others are the server's or the network's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ..errors import InputError, VisionDeskError


class RemoteError(VisionDeskError):
    """Base of the errors a remote server or the way to it causes."""

    code: ClassVar[str] = "remote"


class ServerNotAdded(InputError):
    """A request was about to go to a server the user has not added."""

    code: ClassVar[str] = "server_not_added"

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"{url} is not one of your servers, so nothing was sent to it. Add it on the Servers "
                         "page (or with 'visiondesk servers add') first.")


class BadServerAddress(InputError):
    """What was typed as a server's address is no http(s) URL, or its port is no number."""

    code: ClassVar[str] = "bad_server_address"

    def __init__(self, url: str, bad_port: bool = False) -> None:
        self.url, self.bad_port = url, bad_port
        super().__init__(f"'{url}' has an invalid port number." if bad_port else
                         f"'{url}' is not a server address. Write it like http://192.168.1.20:8000 or "
                         "https://gpu.example.org/v1.")


class ServerAlreadyAdded(InputError):
    """A server at this address is already in the list (``name``: the one that has it, when another is edited)."""

    code: ClassVar[str] = "server_already_added"

    def __init__(self, url: str, name: str = "") -> None:
        self.url, self.name = url, name
        super().__init__(f"{url} is already one of your servers ({name})." if name else
                         f"{url} is already one of your servers.")


class UnknownServer(InputError):
    """No server has this id (it was removed, or another window removed it)."""

    code: ClassVar[str] = "unknown_server"

    def __init__(self, server_id: str) -> None:
        self.server_id = server_id
        super().__init__(f"There is no server with the id '{server_id}'.")


class KeyMissing(InputError):
    """The API key a server needs is gone: its environment variable is unset, or the credential store lost it."""

    code: ClassVar[str] = "key_missing"

    def __init__(self, env_var: str = "") -> None:
        self.env_var = env_var
        super().__init__(f"The environment variable {env_var} that should hold the API key is not set." if env_var
                         else "The API key of this server is not in the credential store any more; enter it again "
                         "in the server's settings.")


class NoServerModel(InputError):
    """A message was sent to the server backend before one of its models was connected."""

    code: ClassVar[str] = "no_server_model"

    def __init__(self) -> None:
        super().__init__("No server model is connected: choose a model first.")


class ServerUnreachable(RemoteError):
    """No connection could be made."""

    code: ClassVar[str] = "server_unreachable"

    def __init__(self, url: str, detail: str = "") -> None:
        self.url, self.detail = url, detail
        why = f" ({detail})" if detail else ""
        super().__init__(f"Cannot reach the server at {url}{why}. Is it running, and is the address (host, port, "
                         "http or https) right?")


class TlsVerifyFailed(RemoteError):
    """The server's certificate could not be verified."""

    code: ClassVar[str] = "tls_verify_failed"

    def __init__(self, url: str, detail: str = "") -> None:
        self.url, self.detail = url, detail
        why = f" ({detail})" if detail else ""
        super().__init__(f"The certificate of {url} could not be verified{why}. If the server uses your "
                         "organisation's own certificate authority, add its CA bundle (a .pem file) to the server's "
                         "settings.")


class ServerTimeout(RemoteError):
    """The server stopped answering: no connection, no first byte, or a pause between chunks too long."""

    code: ClassVar[str] = "server_timeout"

    def __init__(self, url: str, phase: str, seconds: float) -> None:
        self.url, self.phase, self.seconds = url, phase, seconds
        super().__init__(f"The server at {url} sent nothing for {seconds:g} s ({phase}). It may be overloaded or "
                         "stuck; try again, or raise this server's timeouts if it is just slow.")


class KeyRejected(RemoteError):
    """401 or 403: the API key is missing, wrong, or not allowed."""

    code: ClassVar[str] = "key_rejected"

    def __init__(self, url: str, status: int, had_key: bool, detail: str = "") -> None:
        self.url, self.status, self.had_key, self.detail = url, status, had_key, detail
        why = f" The server said: {detail}" if detail else ""
        if not had_key:
            fix = "It needs an API key: add the key to this server's settings."
        elif status == 403:
            fix = "The key was accepted but is not allowed to use this model; ask the server's administrator."
        else:
            fix = "Check the API key in this server's settings; it may be mistyped or revoked."
        super().__init__(f"The server at {url} refused the request ({status}). {fix}{why}")


class ModelNotFound(InputError):
    """404: the server has no model of that name; lists the ones it has."""

    code: ClassVar[str] = "model_not_found"

    def __init__(self, model: str, url: str, available: Sequence[str]) -> None:
        self.model, self.url, self.available = model, url, tuple(available)
        have = ("It has: " + ", ".join(self.available[:20]) + (" ..." if len(self.available) > 20 else "")
                if self.available else "It lists no models.")
        super().__init__(f"The server at {url} has no model called '{model}'. {have} Pick one of these (names are "
                         "exact, case included).")


class ImageTooLarge(InputError):
    """400/413 about the size of an image or of the request."""

    code: ClassVar[str] = "image_too_large"

    def __init__(self, detail: str, long_side: int) -> None:
        self.detail, self.long_side = detail, long_side
        super().__init__(f"The server refused the image as too large ({detail}). Lower 'image size sent' for this "
                         f"server (now {long_side} px on the long side), or crop the image.")


class TooManyImages(InputError):
    """The request had more images than the server accepts in one prompt."""

    code: ClassVar[str] = "too_many_images"

    def __init__(self, limit: int, sent: int, detail: str = "") -> None:
        self.limit, self.sent, self.detail = limit, sent, detail
        why = f" The server said: {detail}" if detail else ""
        super().__init__(f"This server accepts at most {limit} image(s) per prompt, and this conversation has {sent}. "
                         "Turn on 'send only the newest image', or start a new chat for the next image." + why)


class OneImagePerPrompt(TooManyImages):
    """vLLM's mllama (Llama 3.2 Vision): one image per prompt, said before anything is sent."""

    code: ClassVar[str] = "one_image_per_prompt"

    def __init__(self, model: str, sent: int) -> None:
        InputError.__init__(
            self, f"{model} on vLLM reads one image per prompt, and this conversation has {sent} images (earlier "
                  "images are sent again with every message). Turn on 'send only the newest image' to ask about "
                  "the latest one, or start a new chat for each image. Nothing was sent.")
        self.limit, self.sent, self.model = 1, sent, model


class VisionNotSupported(InputError):
    """The server says this model does not see images."""

    code: ClassVar[str] = "vision_not_supported"

    def __init__(self, model: str, url: str) -> None:
        self.model, self.url = model, url
        super().__init__(f"The model '{model}' on {url} does not read images. Remove the images, or pick a "
                         "vision model on that server.")


class RateLimited(RemoteError):
    """429: the server asks to wait."""

    code: ClassVar[str] = "rate_limited"

    def __init__(self, url: str, retry_after_s: float | None) -> None:
        self.url = url
        self.retry_after_s: float | None = retry_after_s
        when = (f"Try again in {_duration(retry_after_s)}." if retry_after_s is not None
                else "Wait a little and try again.")
        super().__init__(f"The server at {url} is busy with too many requests (429). {when}")


class ServerFailed(RemoteError):
    """5xx, or an error the server reported inside the stream."""

    code: ClassVar[str] = "server_failed"

    def __init__(self, url: str, status: int | None, detail: str = "") -> None:
        self.url, self.detail = url, detail
        self.status: int | None = status
        code = f" ({status})" if status else ""
        why = f": {detail}" if detail else ""
        super().__init__(f"The server at {url} failed{code}{why}. This is a problem on the server; try again, or "
                         "look at the server's log.")


class RequestRejected(InputError):
    """Another 4xx: the server did not accept the request."""

    code: ClassVar[str] = "request_rejected"

    def __init__(self, url: str, status: int, detail: str) -> None:
        self.url, self.status, self.detail = url, status, detail
        super().__init__(f"The server at {url} did not accept the request ({status}): {detail}")


class StreamCutOff(RemoteError):
    """The answer stopped without a finish reason: the connection dropped or the server died."""

    code: ClassVar[str] = "stream_cut_off"

    def __init__(self, url: str, chars: int) -> None:
        self.url, self.chars = url, chars
        super().__init__(f"The answer from {url} stopped in the middle ({chars} characters in), without the server "
                         "saying it was finished. The connection dropped or the server stopped; what arrived is "
                         "kept. Send again to retry.")


class MalformedChunk(RemoteError):
    """A streamed chunk was not valid JSON of the chat-completions shape."""

    code: ClassVar[str] = "malformed_chunk"

    def __init__(self, url: str, detail: str) -> None:
        self.url, self.detail = url, detail
        super().__init__(f"The server at {url} sent a piece of the answer VisionDesk cannot read ({detail}). Is it "
                         "an OpenAI-compatible server? Update the server, or report this to its developers.")


class CredentialStoreError(VisionDeskError):
    """The operating system's credential store refused to store or read a key."""

    code: ClassVar[str] = "credential_store"

    def __init__(self, action: str, detail: str) -> None:
        self.action, self.detail = action, detail  # action: "read", "store" or "delete"
        super().__init__(f"The system's credential store could not {action} the API key ({detail}). Unlock the "
                         "keychain (or wallet) and try again.")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"
