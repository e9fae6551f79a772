"""A quick yes/no check of documents against a JSON Schema, for pulls that check thousands of them.

jsonschema walks the schema anew for each document, building a validator object for every
subschema it enters: about a millisecond per HSDS service, most of a first pull of 10,000 services
(bench/sync.py). `compile_check(validator)` turns the validator's schema, once, into plain Python
checks of the keywords the HSDS compiled schemas use (type, properties, required, items, enum of
strings, format through the validator's own format checker). It answers True only when jsonschema
finds no error; when it answers False the caller asks jsonschema for the errors in words, so a
False that jsonschema would not confirm costs time, never a wrong answer. A schema with any other
keyword jsonschema acts on (a $ref, anyOf, a pattern, a minimum...) gets a check that always says
False: jsonschema then judges every document, as before.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any

import jsonschema

Check = Callable[[Any], bool]

SUPPORTED = frozenset({"type", "properties", "required", "items", "enum", "format"})


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


# Draft 2020-12's own type checker, checked against below before these are used.
TYPES: dict[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


class Unsupported(Exception):
    """The schema uses something the quick check does not do."""


def never(_document: Any) -> bool:
    return False


def compile_check(validator: jsonschema.protocols.Validator) -> Check:
    """A check of documents against `validator`'s schema: True only if `validator` finds no error.
    Always False (ask the validator) for a schema or validator it cannot follow exactly."""
    if type(validator).TYPE_CHECKER is not jsonschema.Draft202012Validator.TYPE_CHECKER:
        return never
    keywords = frozenset(type(validator).VALIDATORS)
    try:
        check = _compile(validator.schema, keywords, validator.format_checker)
    except Unsupported:
        return never

    def conforms(document: Any) -> bool:
        try:
            return check(document)
        except Exception:  # anything unforeseen: let jsonschema decide
            return False

    return conforms


def _compile(schema: Any, keywords: frozenset[str], formats: jsonschema.FormatChecker | None) -> Check:
    if schema is True:
        return lambda _value: True
    if schema is False:
        return never
    if not isinstance(schema, dict) or "$schema" in schema:
        raise Unsupported
    if (keywords & schema.keys()) - SUPPORTED:
        raise Unsupported
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not names or any(name not in TYPES for name in names):
            raise Unsupported
        type_checks = [TYPES[name] for name in names]
        checks.append(type_checks[0] if len(type_checks) == 1 else lambda v: any(c(v) for c in type_checks))
    if "required" in schema:
        required = schema["required"]
        if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
            raise Unsupported
        required_names = frozenset(required)
        checks.append(lambda value: not isinstance(value, dict) or required_names <= value.keys())
    if "properties" in schema:
        if not isinstance(schema["properties"], dict):
            raise Unsupported
        properties = {name: _compile(sub, keywords, formats) for name, sub in schema["properties"].items()}
        checks.append(lambda value: _properties(properties, value))
    if "items" in schema:
        checks.append(_items(_compile(schema["items"], keywords, formats)))
    if "enum" in schema:
        enum = schema["enum"]
        if not isinstance(enum, list) or not all(isinstance(member, str) for member in enum):
            raise Unsupported
        members = frozenset(enum)
        checks.append(lambda value: isinstance(value, str) and value in members)
    if "format" in schema and formats is not None and schema["format"] in formats.checkers:
        checks.append(_format(schema["format"], *formats.checkers[schema["format"]]))
    if not checks:
        return lambda _value: True
    if len(checks) == 1:
        return checks[0]
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    # Loops rather than all(generator): a generator costs a frame for every check of every value.
    def every(value: Any) -> bool:
        for check in checks:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return every


def _items(item: Check) -> Check:
    def every_item(value: Any) -> bool:
        if isinstance(value, list):
            for element in value:
                if not item(element):
                    return False
        return True

    return every_item


def _properties(properties: dict[str, Check], value: Any) -> bool:
    if not isinstance(value, dict):
        return True
    for name, member in value.items():
        check = properties.get(name)
        if check is not None and not check(member):
            return False
    return True


# Strings every checker of these formats accepts (a UUID in its usual spelling): the checker runs
# only for the others.
CERTAINLY = {"uuid": re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")}


def _format(name: str, function: Callable[[Any], Any], raises: Any) -> Check:
    certainly = CERTAINLY[name].fullmatch if name in CERTAINLY else None

    def conforms(value: Any) -> bool:
        if certainly is not None and isinstance(value, str) and certainly(value):
            return True
        # As jsonschema.FormatChecker.check: the exceptions it names mean "does not conform".
        try:
            return bool(function(value))
        except raises:
            return False

    return conforms
