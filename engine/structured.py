"""Structured answers: a JSON schema becomes a GBNF grammar, and an answer is checked against its schema.

The grammar comes from llama.cpp's own converter, which llama-cpp-python ships as the pure-Python
module ``llama_cpp/llama_grammar.py``. The parent process must not load llama.cpp (a bad model file
can crash it), and importing ``llama_cpp.llama_grammar`` would run ``llama_cpp/__init__`` and load the
native library, so the converter's file is loaded on its own (it imports only the standard library).

That converter silently ignores what it cannot express (``minimum``, ``uniqueItems``, a ``pattern``
next to a ``maxLength``...), and an answer generated under such a grammar can then fail validation.
``check_schema`` walks the schema first and refuses every such construct by name and place, so the
user hears about it before anything is generated, and every answer that completes validates.

``jsonschema`` (with ``referencing``, ``rpds`` and ``attrs``: ~80 ms) is imported where a schema is first checked
or an answer first validated, never at import: the window imports this module at start-up, and most answers
have no format.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from .errors import AnswerInvalid, JsonFileUnreadable, UnsupportedSchema
from .events import EngineEvent, Finished, StopReason, TextDelta

ResponseKind = Literal["json_object", "json_schema"]


@dataclasses.dataclass(frozen=True)
class ResponseFormat:
    """The answer must be JSON: any object (``json_object``) or one that validates against ``schema``.

    ``schema`` is the JSON Schema as JSON text (kept as text so the request stays hashable; key order
    is the order the answer writes the properties in). Building one converts the schema into the
    grammar the local engine samples under (llama.cpp's converter, see ``structured.py``), so a schema
    the converter cannot enforce is refused here, with the construct named, before anything runs.
    """

    kind: ResponseKind
    schema: str | None = None
    name: str = "answer"  # what the OpenAI API calls ``json_schema.name``
    grammar: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grammar", grammar_for(self.kind, self.schema))

    @classmethod
    def json_object(cls) -> ResponseFormat:
        """Any JSON object."""
        return cls("json_object")

    @classmethod
    def json_schema(cls, schema: Mapping[str, Any], name: str = "answer") -> ResponseFormat:
        """A JSON object that validates against ``schema``; raises ``UnsupportedSchema``."""
        return cls("json_schema", json.dumps(schema, ensure_ascii=False), name)

    def schema_dict(self) -> dict[str, Any]:
        """The schema as a dict (``{"type": "object"}`` for ``json_object``)."""
        if self.schema is None:
            return {"type": "object"}
        loaded: dict[str, Any] = json.loads(self.schema)
        return loaded

ANNOTATIONS = frozenset({"title", "description", "$schema", "$id", "$comment", "default", "examples", "$defs",
                         "definitions", "deprecated", "readOnly", "writeOnly"})
PRIMITIVES = frozenset({"string", "number", "integer", "boolean", "null", "array", "object"})
# JSON Schema keywords the converter drops without a word: answers could break them.
UNENFORCED = frozenset({
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems", "contains",
    "minContains", "maxContains", "unevaluatedItems", "unevaluatedProperties", "patternProperties",
    "propertyNames", "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "dependencies",
    "not", "if", "then", "else", "contentEncoding", "contentMediaType", "contentSchema", "$anchor",
    "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary",
})
FORMATS = frozenset({"date", "time", "date-time", "uuid", "uuid1", "uuid2", "uuid3", "uuid4", "uuid5"})
_UNENFORCED_WHY = ("is not enforced by llama.cpp's JSON-schema grammar converter, so answers could break it. "
                   "Remove it (and check the value after the answer instead).")
# Regex escapes GBNF has no equivalent for in the converter's translation.
_CLASS_ESCAPE = re.compile(r"\\[dDwWsSbB]")
# This converter's string characters admit raw control characters (and its "." admits quotes), which
# JSON forbids inside strings; llama.cpp's current converter excludes them, as these replacements do.
# The grammar reads code points decoded leniently from token bytes: surrogates and values past U+10FFFF
# come only from broken UTF-8 and are excluded too. (Overlong encodings cannot be told apart from the
# code points they spell; a model that writes one gets an answer that fails validation, see the README.)
# Its exponents take up to 16 digits (1E920 is no double any reader can hold): two are plenty.
_JSON_SAFE_CHAR = r'[^"\\\x7F\x00-\x1F\uD800-\uDFFF\U00110000-\U001FFFFF]'
_RULE_FIXES = ((re.compile(r'^char ::= \[\^"\\\\\]', re.M), "char ::= " + _JSON_SAFE_CHAR),
               (re.compile(r"^dot ::= .*$", re.M), "dot ::= " + _JSON_SAFE_CHAR),
               (re.compile(r"\[eE\] \[-\+\]\? integral-part"), "[eE] [-+]? [0-9] [0-9]?"))


@functools.cache
def _converter() -> ModuleType:
    """llama.cpp's converter, loaded from llama-cpp-python's file without importing ``llama_cpp``."""
    package = importlib.util.find_spec("llama_cpp")
    if package is None or not package.submodule_search_locations:
        raise UnsupportedSchema("/", "the schema", "cannot be converted: llama-cpp-python is not installed.")
    path = f"{list(package.submodule_search_locations)[0]}/llama_grammar.py"
    spec = importlib.util.spec_from_file_location("visiondesk_llama_grammar", path)
    if spec is None or spec.loader is None:
        raise UnsupportedSchema("/", "the schema", f"cannot be converted: {path} is missing.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grammar_for(kind: ResponseKind, schema_text: str | None) -> str:
    """The GBNF grammar for a response format; raises ``UnsupportedSchema`` naming what cannot be enforced."""
    if kind == "json_object":
        schema: Any = {"type": "object"}
    elif kind == "json_schema":
        if schema_text is None:
            raise UnsupportedSchema("/", "the response format", "has kind json_schema but no schema.")
        try:
            schema = json.loads(schema_text)
        except json.JSONDecodeError as exc:
            raise UnsupportedSchema("/", "the schema", f"is not JSON: {exc.msg} (character {exc.pos}).") from None
        check_schema(schema)
    else:
        raise UnsupportedSchema("/", f"the response format kind {kind!r}", "is unknown: use json_object or "
                                "json_schema.")
    try:
        grammar: str = _converter().json_schema_to_gbnf(json.dumps(schema))
    except (AssertionError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedSchema("/", "the schema", f"could not be turned into a grammar: {exc}") from None
    for rule, fixed in _RULE_FIXES:
        grammar = rule.sub(fixed.replace("\\", "\\\\"), grammar)  # re.sub reads backslashes in replacements
    return grammar


def check_schema(schema: Any) -> None:
    """Refuse a schema that is invalid or uses a construct generation cannot enforce."""
    if not isinstance(schema, Mapping):
        raise UnsupportedSchema("/", "the schema", "must be a JSON object (a boolean schema says nothing "
                                "about the answer's shape).")
    import jsonschema  # first use (see the module's docstring)

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = _pointer(list(exc.path))
        raise UnsupportedSchema(where, "the schema", f"is not a valid JSON Schema: {exc.message}.") from None
    _SchemaWalk(schema).visit(schema, [])


def _pointer(path: list[str | int]) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "the top level"


class _SchemaWalk:
    """Mirrors the converter's choice of rule per (sub)schema and refuses what that rule would drop."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._seen_refs: set[str] = set()

    def visit(self, s: Any, path: list[str | int]) -> None:
        where = _pointer(path)
        if not isinstance(s, Mapping):
            raise UnsupportedSchema(where, "a boolean schema", "cannot be turned into a grammar; describe the "
                                    "value with a type.")
        for key in s:
            if key in UNENFORCED:
                raise UnsupportedSchema(where, f'"{key}"', _UNENFORCED_WHY)
        kind = s.get("type")
        if "$ref" in s:
            self._only(s, path, {"$ref"}, "next to $ref")
            self._ref(s["$ref"], path)
        elif "oneOf" in s:
            raise UnsupportedSchema(where, '"oneOf"', "cannot be enforced (the grammar cannot keep alternatives "
                                    "exclusive). Use anyOf.")
        elif "allOf" in s:
            raise UnsupportedSchema(where, '"allOf"', "is only partly understood by llama.cpp's converter. Merge "
                                    "the parts into one object schema.")
        elif "anyOf" in s:
            self._only(s, path, {"anyOf"}, "next to anyOf (the converter ignores it there)")
            for i, alt in enumerate(s["anyOf"]):
                self.visit(alt, [*path, "anyOf", i])
        elif isinstance(kind, list):
            self._only(s, path, {"type"}, "next to a list of types (the converter ignores it there; use anyOf)")
        elif "const" in s or "enum" in s:
            self._only(s, path, {"const", "enum", "type"}, "next to const/enum")
        elif kind in (None, "object") and ("properties" in s or "additionalProperties" in s or "required" in s):
            self._object(s, path)
        elif kind in (None, "array") and ("items" in s or "prefixItems" in s):
            self._array(s, path)
        elif kind in (None, "string") and "pattern" in s:
            self._only(s, path, {"type", "pattern"}, "next to a pattern (the converter ignores it there)")
            self._pattern(s["pattern"], path)
        elif kind in (None, "string") and "format" in s:
            if s["format"] not in FORMATS:
                raise UnsupportedSchema(where, f'the format "{s["format"]}"', "cannot be enforced; supported: "
                                        f"{', '.join(sorted(FORMATS))}. Use a pattern instead.")
            self._only(s, path, {"type", "format"}, "next to a format (the converter ignores it there)")
        elif kind == "string":
            self._only(s, path, {"type", "minLength", "maxLength"}, "on a string")
        elif kind is None:
            raise UnsupportedSchema(where, "a schema without a type", "cannot be turned into a grammar; give it "
                                    '"type" (or properties, items, enum, const, anyOf).')
        else:
            if kind not in PRIMITIVES:
                raise UnsupportedSchema(where, f'the type "{kind}"', "is not a JSON Schema type.")
            self._only(s, path, {"type"}, f'on a "{kind}" value')

    def _only(self, s: Mapping[str, Any], path: list[str | int], allowed: set[str], context: str) -> None:
        for key in s:
            if key not in allowed and key not in ANNOTATIONS:
                raise UnsupportedSchema(_pointer(path), f'"{key}"', f"{context} would not be enforced by llama.cpp's "
                                        "grammar converter. Remove it or restructure the schema.")

    def _ref(self, ref: Any, path: list[str | int]) -> None:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise UnsupportedSchema(_pointer(path), f'the $ref "{ref}"', "is not supported: only references "
                                    'inside the schema ("#/$defs/...") can be used, nothing is fetched.')
        if ref in self._seen_refs:
            return
        self._seen_refs.add(ref)
        target: Any = self._root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise UnsupportedSchema(_pointer(path), f'the $ref "{ref}"', "points at nothing in the schema.")
            target = target[part]
        target_path: list[str | int] = list(ref[2:].split("/"))
        self.visit(target, target_path)

    def _object(self, s: Mapping[str, Any], path: list[str | int]) -> None:
        self._only(s, path, {"type", "properties", "required", "additionalProperties"}, "on an object")
        props = s.get("properties", {})
        for name, sub in props.items():
            self.visit(sub, [*path, "properties", name])
        for name in s.get("required", []):
            if name not in props:
                raise UnsupportedSchema(_pointer(path), f'the required property "{name}"', "is not among the "
                                        "properties; the grammar only writes listed properties. Add it to them.")
        extra = s.get("additionalProperties")
        if isinstance(extra, Mapping):
            self.visit(extra, [*path, "additionalProperties"])

    def _array(self, s: Mapping[str, Any], path: list[str | int]) -> None:
        if "prefixItems" in s:
            self._only(s, path, {"type", "prefixItems"}, "next to prefixItems")
            for i, item in enumerate(s["prefixItems"]):
                self.visit(item, [*path, "prefixItems", i])
            return
        self._only(s, path, {"type", "items", "minItems", "maxItems"}, "on an array")
        if not s["items"]:
            raise UnsupportedSchema(_pointer(path), '"items": {}', "(any value) cannot be turned into a grammar; "
                                    "give the items a type.")
        self.visit(s["items"], [*path, "items"])

    def _pattern(self, pattern: str, path: list[str | int]) -> None:
        where = _pointer([*path, "pattern"])
        if not (pattern.startswith("^") and pattern.endswith("$")):
            raise UnsupportedSchema(where, f"the pattern /{pattern}/", 'must be anchored: start it with "^" and '
                                    'end it with "$".')
        if "(?" in pattern or _CLASS_ESCAPE.search(pattern):
            raise UnsupportedSchema(where, f"the pattern /{pattern}/", "uses a regex feature the converter cannot "
                                    "translate (groups with ?, or \\d \\w \\s \\b); write character classes such as "
                                    "[0-9] instead.")


@functools.lru_cache(maxsize=32)
def _validator(schema_text: str) -> Any:
    import jsonschema  # first use (see the module's docstring)

    schema = json.loads(schema_text)
    return jsonschema.validators.validator_for(schema)(schema)


def parse_answer(fmt: ResponseFormat, text: str) -> Any:
    """The answer as JSON data, checked against the format; raises ``AnswerInvalid`` saying why not."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerInvalid(f"it is not JSON: {exc.msg} at character {exc.pos}.") from None
    if fmt.kind == "json_object" or fmt.schema is None:
        if not isinstance(value, dict):
            raise AnswerInvalid(f"a JSON object was asked for, the answer is a {type(value).__name__}.")
        return value
    import jsonschema.exceptions  # first use (see the module's docstring)

    error = jsonschema.exceptions.best_match(_validator(fmt.schema).iter_errors(value))
    if error is not None:
        raise AnswerInvalid(f"{error.message} (at {_pointer(list(error.absolute_path))}).")
    return value


def checked_answers(events: Iterable[EngineEvent], fmt: ResponseFormat) -> Iterator[EngineEvent]:
    """``events`` as they come, with a final answer that fails ``fmt`` turned into a ``Finished`` error.

    For backends that cannot enforce the format while generating (a remote server may ignore
    ``response_format``): the text has been shown, and the error (``AnswerInvalid``) says why it is unusable.
    """
    parts: list[str] = []
    for event in events:
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Finished) and event.error is None and event.stop_reason in (StopReason.END,
                                                                                             StopReason.LENGTH):
            try:
                parse_answer(fmt, "".join(parts))
            except AnswerInvalid as exc:
                if event.stop_reason is StopReason.LENGTH:
                    exc = AnswerInvalid(f"{exc.reason} It was cut at max_tokens: allow more tokens.")
                event = dataclasses.replace(event, stop_reason=StopReason.ERROR, error=exc)
        yield event


def read_json_file(path: Path, what: str) -> Any:
    """A JSON file's content (a schema, a preset); raises ``JsonFileUnreadable`` naming ``what`` and what is wrong."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise JsonFileUnreadable(Path(path), what, exc.strerror or str(exc), not_json=False) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JsonFileUnreadable(Path(path), what, str(exc), not_json=True) from None


def schema_file_format(path: Path) -> ResponseFormat:
    """The response format for a schema file (``--json-schema FILE``); raises ``InputError`` saying what is wrong."""
    return ResponseFormat.json_schema(read_json_file(path, "schema"), Path(path).stem)


def from_openai(payload: Mapping[str, Any] | None) -> ResponseFormat | None:
    """An OpenAI-style ``response_format`` (``text``, ``json_object``, ``json_schema``) as a ``ResponseFormat``.

    The local engine always enforces the schema, so ``strict`` is accepted either way. Raises
    ``UnsupportedSchema`` (an ``InputError``: the API answers 400) for anything it cannot honour.
    """
    if payload is None or payload.get("type") in (None, "text"):
        return None
    if payload.get("type") == "json_object":
        return ResponseFormat.json_object()
    if payload.get("type") == "json_schema":
        spec = payload.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
            raise UnsupportedSchema("/json_schema", "the response format", 'needs "json_schema": {"name": ..., '
                                    '"schema": {...}}.')
        return ResponseFormat.json_schema(spec["schema"], str(spec.get("name") or "answer"))
    raise UnsupportedSchema("/type", f"the response format type {payload.get('type')!r}", "is unknown: use text, "
                            "json_object or json_schema.")


def to_openai(fmt: ResponseFormat) -> dict[str, Any]:
    """The ``response_format`` to send an OpenAI-compatible server (a remote backend passes the schema on)."""
    if fmt.kind == "json_object":
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": fmt.name, "schema": fmt.schema_dict(), "strict": True}}
