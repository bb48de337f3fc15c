"""Checks Bot API requests against the published spec (../shared/reference/telegram-bot-api.json).

The spec is indexed once per process so that checking a request is a few set operations: the fake
server checks every request, including the 10,000 sends of the broadcast benchmark. When the spec
file is absent, :func:`load_spec` returns None and requests are decoded by heuristics, unchecked.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The reference lives in the workplace's shared folder, beside the repository or above it, and its
# README asks that it not be copied into the project (so it is looked for, never vendored).
SPEC_NAME = Path("shared") / "reference" / "telegram-bot-api.json"
SPEC_ENV = "TELEGRAM_BOT_API_SPEC"


def _find_reference() -> Path:
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / SPEC_NAME).is_file():
            return folder / SPEC_NAME
    return here.parents[3] / SPEC_NAME


DEFAULT_SPEC_PATH = _find_reference()
# A few methods described by hand, in the reference's format, so that the checker's own tests run
# on any clone: it is not the reference (six methods, the fields those tests use), only test data.
SAMPLE_SPEC_PATH = Path(__file__).resolve().parent / "telegram_spec_sample.json"
SPEC_NOTE = (
    f"looked for {SPEC_NAME} in every folder above the repository; set {SPEC_ENV} to its path "
    "to check every request the bot sends against it"
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes, not characters

# Telegram's HTML subset (core.telegram.org/bots/api#html-style); the spec file does not list it.
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji"}
    | {"code", "pre", "blockquote"}
)
HTML_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})
_MARKUP = re.compile(r"<(/?)([^\s<>/]*)([^<>]*)(>)?|&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]\w*)?(;?)")
_TAG_OR_ANGLE = re.compile(r"<[^<>]*>")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_INTEGER = re.compile(r"-?[0-9]+")

# Used to decode form values when there is no spec: these parameters carry JSON.
_FALLBACK_JSON = frozenset(
    {"reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope"}
    | {"link_preview_options", "reply_parameters", "media", "offset", "limit", "timeout"}
    | {"message_id", "disable_notification", "protect_content", "show_alert", "cache_time"}
    | {"drop_pending_updates", "max_connections", "from_chat_id", "message_thread_id"}
)


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    params: frozenset[str]
    required: frozenset[str]
    json_params: frozenset[str]  # values arrive JSON-encoded in form bodies (no String type)
    chat_like: frozenset[str]  # Integer or String: an int when it looks like one
    types: Mapping[str, tuple[str, ...]]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Spec:
    version: str
    methods: Mapping[str, MethodSpec]
    lower: Mapping[str, MethodSpec]  # Telegram matches method names case-insensitively
    button_actions: frozenset[str]  # InlineKeyboardButton fields of which exactly one is set

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name) or self.lower.get(name.lower())


def spec_path() -> Path:
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else DEFAULT_SPEC_PATH


@functools.cache
def load_spec(path: Path | None = None) -> Spec | None:
    """The indexed spec, or None when the reference file is absent."""
    path = path or spec_path()
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    methods: dict[str, MethodSpec] = {}
    for name, method in raw["methods"].items():
        fields = method.get("fields", [])
        types = {f["name"]: tuple(f["types"]) for f in fields}
        methods[name] = MethodSpec(
            name=name,
            params=frozenset(types),
            required=frozenset(f["name"] for f in fields if f["required"]),
            json_params=frozenset(n for n, t in types.items() if "String" not in t),
            chat_like=frozenset(n for n, t in types.items() if t == ("Integer", "String")),
            types=types,
            returns=tuple(method.get("returns", ())),
        )
    button = raw["types"]["InlineKeyboardButton"]["fields"]
    actions = frozenset(f["name"] for f in button) - {"text", "icon_custom_emoji_id", "style"}
    return Spec(
        version=raw.get("version", "?"),
        methods=methods,
        lower={n.lower(): m for n, m in methods.items()},
        button_actions=actions,
    )


# -- decoding ------------------------------------------------------------------------------------
def decode_value(name: str, value: Any, method: MethodSpec | None) -> Any:
    """A form value as the Bot API reads it: JSON-typed parameters decoded, ids as ints."""
    if not isinstance(value, str):
        return value
    if method is None:
        if name in _FALLBACK_JSON or (name == "chat_id" and _INTEGER.fullmatch(value)):
            return _json_or_raw(value)
        return value
    if name in method.chat_like:
        return int(value) if _INTEGER.fullmatch(value) else value
    if name in method.json_params:
        return _json_or_raw(value)
    return value


def _json_or_raw(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# -- checks --------------------------------------------------------------------------------------
def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a person sees: tags removed and entities resolved for HTML."""
    if parse_mode is not None and parse_mode.upper() == "HTML":
        return html.unescape(_TAG_OR_ANGLE.sub("", text))
    return text


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse this text with parse_mode=HTML ("can't parse entities"), if it would."""
    stack: list[str] = []
    for match in _MARKUP.finditer(text):
        if match.group(0).startswith("<"):
            closing, name, attrs, end = match.group(1), match.group(2).lower(), match.group(3), match.group(4)
            if not end:
                return f"unescaped '<' at offset {match.start()} (write &lt;)"
            if name not in HTML_TAGS:
                return f"unsupported tag <{closing}{name}> at offset {match.start()}"
            if closing:
                if not stack or stack[-1] != name:
                    return f"unexpected end tag </{name}> at offset {match.start()}"
                stack.pop()
                continue
            if name == "span" and "tg-spoiler" not in attrs:
                return '<span> needs class="tg-spoiler"'
            if name == "a" and "href=" not in attrs:
                return "<a> needs an href"
            if name == "tg-emoji" and "emoji-id=" not in attrs:
                return "<tg-emoji> needs an emoji-id"
            stack.append(name)
        else:
            entity, semicolon = match.group(5), match.group(6)
            if entity is None or not semicolon:
                return f"unescaped '&' at offset {match.start()} (write &amp;)"
            if not entity.startswith("#") and entity not in HTML_ENTITIES:
                return f"unsupported HTML entity &{entity}; (only &lt; &gt; &amp; &quot; and numeric ones)"
    if stack:
        return f"unclosed tag <{stack[-1]}>"
    return None


def _type_problem(name: str, value: Any, types: tuple[str, ...]) -> str | None:
    if "String" in types or "InputFile" in types:
        return None  # a string is always acceptable to these; files arrive as uploads
    expected = types[0]
    ok = True
    if expected == "Integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected == "Boolean":
        ok = isinstance(value, bool)
    elif expected.startswith("Array of"):
        ok = isinstance(value, list)
    else:
        ok = isinstance(value, dict)
    return None if ok else f"parameter {name} should be {' or '.join(types)}, got {value!r:.60}"


def _markup_problems(markup: Any, spec: Spec) -> list[str]:
    if not isinstance(markup, dict):
        return [f"reply_markup is not a JSON object: {markup!r:.60}"]
    rows = markup.get("inline_keyboard")
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return ["inline_keyboard must be an array of arrays of buttons"]
    problems: list[str] = []
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
                problems.append(f"inline button without text: {button!r:.80}")
                continue
            actions = [k for k in button if k in spec.button_actions]
            if len(actions) != 1:
                problems.append(f"inline button {button['text']!r} needs exactly one action, has {actions}")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                size = len(str(data).encode())
                problems.append(f"callback_data {data!r} is {size} bytes (1-{CALLBACK_DATA_LIMIT} allowed)")
    return problems


def _text_problem(field: str, value: Any, parse_mode: Any, limit: int, minimum: int) -> str | None:
    if not isinstance(value, str):
        return f"{field} should be a string"
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        problem = html_problem(value)
        if problem is not None:
            return f"can't parse entities in {field}: {problem}"
    length = len(visible_text(value, parse_mode if isinstance(parse_mode, str) else None))
    if not minimum <= length <= limit:
        return f"{field} is {length} characters after entity parsing ({minimum}-{limit} allowed)"
    return None


def _commands_problems(commands: Any) -> list[str]:
    if not isinstance(commands, list) or len(commands) > 100:
        return ["commands must be a list of at most 100 BotCommand"]
    problems: list[str] = []
    for command in commands:
        name = command.get("command", "") if isinstance(command, dict) else ""
        description = command.get("description", "") if isinstance(command, dict) else ""
        if not _COMMAND_NAME.fullmatch(name):
            problems.append(f"command name {name!r} must be 1-32 of a-z, 0-9 and _")
        if not 1 <= len(description) <= 256:
            problems.append(f"command /{name} description must be 1-256 characters")
    return problems


def check_request(spec: Spec, method_name: str, params: Mapping[str, Any]) -> list[str]:
    """Every way this request breaks the Bot API spec (empty when it is valid)."""
    method = spec.method(method_name)
    if method is None:
        return [f"unknown method {method_name}"]
    problems = [f"{method.name}: unknown parameter {name}" for name in params if name not in method.params]
    missing = method.required - params.keys()
    problems += [f"{method.name}: missing required parameter {name}" for name in sorted(missing)]
    for name, value in params.items():
        types = method.types.get(name)
        if types is not None and (problem := _type_problem(name, value, types)) is not None:
            problems.append(f"{method.name}: {problem}")
    parse_mode = params.get("parse_mode")
    if "text" in params and method.name in ("sendMessage", "editMessageText"):
        problem = _text_problem("text", params["text"], parse_mode, TEXT_LIMIT, 1)
        if problem is not None:
            problems.append(f"{method.name}: {problem}")
    if "caption" in params:
        problem = _text_problem("caption", params["caption"], parse_mode, CAPTION_LIMIT, 0)
        if problem is not None:
            problems.append(f"{method.name}: {problem}")
    if "reply_markup" in params:
        problems += [f"{method.name}: {p}" for p in _markup_problems(params["reply_markup"], spec)]
    if method.name == "setMyCommands" and "commands" in params:
        problems += [f"setMyCommands: {p}" for p in _commands_problems(params["commands"])]
        code = params.get("language_code")
        if code is not None and not (isinstance(code, str) and re.fullmatch(r"[a-z]{2}", code)):
            problems.append(f"setMyCommands: language_code {code!r} is not a two-letter ISO 639-1 code")
    if method.name == "answerCallbackQuery" and len(str(params.get("text", ""))) > 200:
        problems.append("answerCallbackQuery: text longer than 200 characters")
    return problems
