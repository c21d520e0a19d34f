"""Field types and limits shared by every request model.

A model declares its fields with these types, so the limits (lengths, list sizes, nesting depth,
numeric ranges, finite numbers, text that storage and protobuf accept) are written once. Every
type fails with a pydantic error that ``errors.describe`` turns into the contract's 102 message.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

# ---- limits --------------------------------------------------------------------------------

NAME_MAX = 255  # chat, session, dataset names (RAGFlow's limit)
ID_MAX = 128  # an object id (ours are 32 hex) or a caller's user_id
TEXT_MAX = 256 * 1024  # descriptions, prompts, questions, chunk contents (the body limit bounds them too)
AVATAR_MAX = 1024 * 1024  # avatars are data URLs of images
IDS_MAX = 10_000  # ids in one bulk request
KEY_MAX = 256  # a key inside a free-form object
JSON_DEPTH_MAX = 32  # levels inside a free-form object (stored objects break near 100)
# Integers inside free-form objects travel as protobuf doubles: beyond 2^53 they lose digits.
JSON_INT_MAX = 2**53
TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


def custom_error(message: str) -> PydanticCustomError:
    """A validation error whose message is shown to the caller as written."""
    return PydanticCustomError("ragchat", message)


# ---- text ----------------------------------------------------------------------------------


def check_text(value: str) -> str:
    """Text that UTF-8, protobuf and the stores accept: no lone surrogates, no NUL characters."""
    if "\x00" in value:
        raise custom_error("{field} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise custom_error("{field} is not valid Unicode text (it holds a lone surrogate).") from None
    return value


# The length is checked first, so an over-long string is refused before it is scanned.
Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(check_text)]
Name = Annotated[str, Field(max_length=NAME_MAX), AfterValidator(check_text)]
Id = Annotated[str, Field(max_length=ID_MAX), AfterValidator(check_text)]
Avatar = Annotated[str, Field(max_length=AVATAR_MAX), AfterValidator(check_text)]
IdList = Annotated[list[Id], Field(max_length=IDS_MAX)]


def _split_commas(value: Any) -> Any:
    """``"a,b"`` (or ``["a,b", "c"]``, as ``?ids=a,b&ids=c`` reads) → ``["a", "b", "c"]``."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [part.strip() for item in value for part in item.split(",") if part.strip()]
    return value


# Ids in a query string: repeated (``?ids=a&ids=b``) or comma-separated (``?ids=a,b``), as RAGFlow reads them.
IdsParam = Annotated[list[Id], BeforeValidator(_split_commas), Field(max_length=IDS_MAX)]
# A repeated or comma-separated query filter (?run=DONE&run=FAIL, ?suffix=pdf,txt).
FilterParam = Annotated[list[Name], BeforeValidator(_split_commas), Field(max_length=IDS_MAX)]


# ---- booleans ------------------------------------------------------------------------------


def _lenient_bool(value: Any) -> Any:
    """``true``/``false``/``1``/``0`` (any case, as strings or numbers) are booleans, as in RAGFlow."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    elif isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


LenientBool = Annotated[bool, BeforeValidator(_lenient_bool), Field(strict=True)]


# ---- numbers -------------------------------------------------------------------------------


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


# ---- free-form JSON ------------------------------------------------------------------------


def check_json_value(value: Any) -> Any:
    """A free-form JSON value that can be stored as sent: bounded depth, safe keys and text,
    finite numbers. Walked iteratively, so no input can exhaust the interpreter's stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            if depth > JSON_DEPTH_MAX:
                raise custom_error(f"{{field}} is nested too deeply: at most {JSON_DEPTH_MAX} levels.")
            for key, child in item.items():
                _check_key(key)
                pending.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > JSON_DEPTH_MAX:
                raise custom_error(f"{{field}} is nested too deeply: at most {JSON_DEPTH_MAX} levels.")
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            check_text(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > JSON_INT_MAX:
                raise custom_error(f"{{field}} holds an integer beyond ±2^53 ({JSON_INT_MAX}).")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise custom_error("{field} must be a finite number.")
        else:  # not reachable from JSON, only from code
            raise custom_error("{field} holds a value that is not JSON.")
    return value


def _check_key(key: Any) -> None:
    if not isinstance(key, str) or not key:
        raise custom_error("{field} has an empty key.")
    if len(key) > KEY_MAX:
        raise custom_error(f"{{field}} has a key longer than {KEY_MAX} characters.")
    if key.startswith("$"):
        raise custom_error("{field} has a key starting with '$'.")
    check_text(key)


JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_value)]
JsonValue = Annotated[Any, AfterValidator(check_json_value)]
