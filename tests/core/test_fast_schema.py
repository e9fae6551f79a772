"""The quick schema check of pulled HSDS services (aipim.core.fast_schema): it says a service is valid
only when jsonschema finds no error, on the official schema and on services broken in many ways;
a schema it cannot follow makes it defer to jsonschema every time."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aipim.core.fast_schema import compile_check, never
from aipim.core.hsds import _validator, quick_check, validation_errors
from portal_sync.adapters.base import Rejection
from portal_sync.adapters.hsds import read_service

SERVICES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "portal_sync" / "data" / "hsds_services.json").read_text()
)
UUID = "30c1be07-f261-4689-a5db-9f90efab767d"


def agrees(document: Any) -> bool:
    return quick_check("service")(document) == (not validation_errors(document))


def test_the_official_service_schema_is_checked_quickly() -> None:
    assert quick_check("service") is not never
    for service in SERVICES:
        assert quick_check("service")(service) is True
        assert validation_errors(service) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("id",), 12),  # not a string
        (("id",), "not-a-uuid"),
        (("id",), UUID.upper()),  # valid: hex digits in capitals
        (("id",), "{" + UUID + "}"),  # UUID() reads it, the dashes are not where they belong
        (("id",), "urn:uuid:" + UUID),
        (("id",), UUID.replace("-", "")),
        (("id",), UUID[:-1] + "g"),
        (("name",), None),
        (("status",), "closed"),  # not one of the statuses
        (("status",), "active"),
        (("email",), "no-at-sign"),
        (("email",), "uffici@example.org"),
        (("languages",), {"code": "it"}),  # an object where a list belongs
        (("languages",), [1, 2]),
        (("languages",), []),
        (("organization",), "an organisation"),
        (("organization", "name"), 3.5),
        (("attributes", 0, "taxonomy_term", "id"), "xyz"),
        (("attributes", 0), True),
        (("unknown_field",), {"anything": [1, None]}),  # not in the schema: allowed
    ],
)
def test_a_changed_service_is_judged_as_jsonschema_judges_it(path: tuple[Any, ...], value: Any) -> None:
    service = copy.deepcopy(SERVICES[0])
    target = service
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert agrees(service)


def test_a_missing_required_field_fails() -> None:
    service = copy.deepcopy(SERVICES[0])
    del service["status"]
    assert quick_check("service")(service) is False
    assert validation_errors(service)


def test_services_broken_at_random_places_are_judged_as_jsonschema_judges_them() -> None:
    rng = random.Random(6)
    values = [None, 0, 1.5, True, "", "x", UUID, "a@b", [], {}, [None], {"id": "x"}]
    for _ in range(400):
        service = copy.deepcopy(rng.choice(SERVICES))
        for _change in range(rng.randint(1, 3)):
            target: Any = service
            while True:
                keys = list(target) if isinstance(target, dict) else list(range(len(target)))
                if not keys:
                    break
                key = rng.choice(keys)
                if isinstance(target[key], dict | list) and rng.random() < 0.7:
                    target = target[key]
                    continue
                if rng.random() < 0.1 and isinstance(target, dict):
                    del target[key]
                else:
                    target[key] = rng.choice(values)
                break
        assert agrees(service), service


def test_not_an_object_at_all() -> None:
    documents: tuple[Any, ...] = (None, [], "service", 7)
    for document in documents:
        assert agrees(document)


def test_a_schema_beyond_the_quick_check_always_defers_to_jsonschema() -> None:
    for schema in (
        {"type": "string", "pattern": "^a"},
        {"properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "string"}}},
        {"anyOf": [{"type": "string"}, {"type": "number"}]},
        {"type": "object", "additionalProperties": False},
        {"items": {"minimum": 3}},
    ):
        check = compile_check(jsonschema.Draft202012Validator(schema))
        assert check is never, schema


def test_words_that_are_not_keywords_are_ignored_like_jsonschema_does() -> None:
    schema = {
        "type": "object",
        "constraints": {"unique": True},
        "example": "x",
        "properties": {"n": {"type": "number"}},
    }
    check = compile_check(jsonschema.Draft202012Validator(schema))
    assert check({"n": 2}) is True
    assert check({"n": True}) is False  # a boolean is not a number
    assert check({"n": "2"}) is False
    assert check([]) is False


def test_an_invalid_service_is_still_rejected_with_jsonschemas_words() -> None:
    service = copy.deepcopy(SERVICES[0])
    service["id"] = "not-a-uuid"
    record = read_service(service)
    assert isinstance(record, Rejection)
    assert record.reason == "schema"
    assert "'not-a-uuid' is not a 'uuid'" in record.detail


def test_the_quick_check_uses_the_same_schema_as_validation_errors() -> None:
    assert compile_check(_validator("service")) is not never
