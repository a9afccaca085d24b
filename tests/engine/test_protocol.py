"""The typed protocol between the engine and its process, through the real pipe of a real engine process."""

from __future__ import annotations

import dataclasses
import importlib
import pickle

import pytest
from visiondesk.engine import Message, Stage, StageChanged, StopReason, Timings, Usage
from visiondesk.engine.errors import ContextOverflow, EngineProtocolError
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.child_process import ChildProcess
from visiondesk.engine.llama.worker.protocol import (
    Done,
    ErrorReply,
    InfoRequest,
    Pixels,
    Quit,
    ResetRequest,
    StageReport,
    SystemInfo,
    Text,
)

from tests.engine.conftest import run, spec, wait_gone
from tests.model_factory import GeneratedModels


@dataclasses.dataclass(frozen=True)
class NotAMessage:
    """A dataclass the protocol does not know."""

    payload: str = "hello"


class Unreadable:
    """Pickles fine here; unpickling it on the other side fails (it imports a module that does not exist)."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return importlib.import_module, ("visiondesk_no_such_module",)


def test_an_unknown_message_gets_an_error_reply_and_the_process_serves_on() -> None:
    child = ChildProcess.spawn(None, flush_denormals=True)
    try:
        child.connect(60)
        # A message of the other direction, one out of its context, one of no protocol, one that cannot be read.
        for odd in (Text("for the parent"), Pixels({}), NotAMessage(), Unreadable()):
            child.send(odd)  # type: ignore[arg-type]
            reply = child.receive(60)
            assert isinstance(reply, ErrorReply), (odd, reply)
            error = reply.error()
            assert isinstance(error, EngineProtocolError)
            assert "did not understand each other" in str(error) and "bug in VisionDesk" in str(error)
            if not isinstance(odd, Unreadable):
                assert type(odd).__name__ in str(error)
        child.send(InfoRequest())
        info = child.receive(60)
        assert isinstance(info, SystemInfo) and "llama_cpp_python" in info.info
        child.send(Quit())
        assert wait_gone(child.pid, 10) and child.exit_code() == 0
    finally:
        child.discard()


def test_messages_carry_the_real_types() -> None:
    """What crosses the pipe comes back as the same typed objects (no dicts rebuilt from keys)."""
    done = Done(StopReason.LENGTH, Usage(prompt_tokens=3, completion_tokens=2), Timings(decode_ms=1.5))
    for msg in (done, StageReport(Stage.ENCODING_IMAGE, 1, 2), Text("é"), ErrorReply.of(ContextOverflow(9, 8))):
        assert pickle.loads(pickle.dumps(msg)) == msg
    back = pickle.loads(pickle.dumps(ErrorReply.of(ContextOverflow(9, 8)))).error()
    assert isinstance(back, ContextOverflow) and back.n_ctx == 8
    # Text goes per token: it pickles as small as the tuple it replaced, give or take its class name.
    assert len(pickle.dumps(Text("é"))) <= len(pickle.dumps(("text", "é"))) + len(f"{Text.__module__}Text") + 8


def out_of_turn(e: LocalEngine) -> int:
    """Slip a request past the engine into its real pipe: the child's ``Ok`` then answers the next request."""
    pid = e.pid
    assert pid is not None and e._link.child is not None
    e._link.child.send(ResetRequest())
    return pid


def test_an_unexpected_reply_is_an_error_and_the_process_is_replaced(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models))
        pid = out_of_turn(e)
        with pytest.raises(EngineProtocolError, match="Ok in answer to InfoRequest"):
            e.system_info()
        assert wait_gone(pid, 2) and e.pid is None
        assert e.system_info()["llama_cpp_python"] and e.pid != pid
        text, fin, events = run(e, [Message.user("Hello?")])  # that new process had no model yet: loaded now
        assert fin.error is None and text
        assert isinstance(events[0], StageChanged) and events[0].stage is Stage.LOADING
        pid = out_of_turn(e)
        text, fin, _ = run(e, [Message.user("Hello?")])
        assert fin.stop_reason is StopReason.ERROR and isinstance(fin.error, EngineProtocolError)
        assert "Ok in answer to ChatJob" in str(fin.error) and not text
        assert wait_gone(pid, 2)
        text, fin, _ = run(e, [Message.user("Hello?")])  # a fresh process, the model loaded again
        assert fin.error is None and text
