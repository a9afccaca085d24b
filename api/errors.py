"""OpenAI-shaped errors: every refusal the server sends is ``{"error": {"message", "type", "code", "param"}}``.

Handlers raise ``ApiError``; one exception handler turns it into a JSON response. The message is
written for the person calling the API: what was wrong and what to send instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse
from visiondesk.engine import ContextOverflow, EngineCrashed, ImageError, InputError, VisionDeskError

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


class ApiError(Exception):
    """A request the server refuses, with the HTTP status and the OpenAI error fields."""

    def __init__(self, status: int, message: str, *, code: str, type_: str = INVALID_REQUEST,
                 param: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.type, self.param = status, message, code, type_, param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, object]:
        """The JSON body OpenAI clients parse into their error classes."""
        return {"error": {"message": self.message, "type": self.type, "code": self.code, "param": self.param}}

    def response(self) -> JSONResponse:
        """The error as an HTTP response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def bad_request(message: str, *, code: str = "invalid_request", param: str | None = None) -> ApiError:
    """A 400 for input the server cannot use."""
    return ApiError(400, message, code=code, param=param)


def from_engine(error: VisionDeskError) -> ApiError:
    """An engine's error as the API reports it: the user's input is a 400 with the engine's own words."""
    message = str(error)
    if isinstance(error, ContextOverflow):
        return ApiError(400, message, code="context_length_exceeded", param="messages")
    if isinstance(error, ImageError):
        return ApiError(400, message, code="invalid_image", param="messages")
    if isinstance(error, InputError):
        return ApiError(400, message, code="invalid_input", param="messages")
    if isinstance(error, EngineCrashed):  # the next request restarts the model process
        return ApiError(503, message, code="engine_crashed", type_=SERVER_ERROR, headers={"Retry-After": "1"})
    return ApiError(500, message, code="engine_error", type_=SERVER_ERROR)
