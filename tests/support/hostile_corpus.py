"""A generated corpus of hostile webhooks, each validly signed: what every family of bad input
looks like, and what misena must answer to it.

Deterministic (a seeded ``random.Random``), so a failure names a case that can be replayed.
Each :class:`Case` has a fresh document number, so whether it left a person behind is exact;
``expect`` is the status misena must give, or ``None`` where several are right (a field of
the wrong type may be coerced, refused or ignored) — never a 5xx either way.
"""

from __future__ import annotations

import copy
import functools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.people.intake import MAX_BODY_BYTES
from tests.support.hostile_requests import EPOCH, encode, example

#: Every string a known event carries, by event type (dotted paths).
STRING_FIELDS = {
    "enrollment.created": [
        "data.person.document_number",
        "data.person.first_names",
        "data.person.last_names",
        "data.person.personal_email",
        "data.person.mobile_phone",
        "data.enrollment.ficha",
        "data.enrollment.program.code",
        "data.enrollment.program.version",
        "data.enrollment.program.name",
        "data.enrollment.program.level",
        "data.enrollment.centro.code",
        "data.enrollment.centro.name",
        "data.enrollment.regional.code",
        "data.enrollment.regional.name",
    ],
    "person.roles_changed": [
        "data.person.document_number",
        "data.person.first_names",
        "data.person.last_names",
        "data.roles.0",
        "data.previous_roles.0",
    ],
}
#: Characters no meaningful field may hold (tab, LF and CR are text; the edges are stripped).
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
#: Letters and marks real names carry, beyond ASCII.
LETTERS = "áéíóúÁÉÍÓÚñÑüÜçÇàèòãõâêôøåæœßğışžčřłđ" + "αβγδεζηθλμπσω" + "абвгдежзийклмн" + "ابتثجحخدذرزسشصضطظعغ"
_NAME_LETTERS = LETTERS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
EXTRAS = [
    "\u200f",
    "\u200e",
    "\u200d",
    "\u00a0",
    "\u0301",
    "\u0303",
    "😀",
    "👩\u200d👩\u200d👧",
    "🌻",
    "'",
    "-",
    ".",
]


@dataclass
class Case:
    family: str
    body: bytes
    expect: int | None
    document: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _event(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["enrollment.created", "enrollment.status_changed", "person.roles_changed"])
    event = example(kind)
    event["data"]["person"]["personal_email"] = f"p{event['data']['person']['document_number']}@example.com"
    if kind == "person.roles_changed":
        event["data"]["previous_roles"] = ["APRENDIZ"]
    return event


def _document(event: dict[str, Any]) -> str:
    return str(event["data"]["person"]["document_number"])


def _set(event: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = event
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value


def _get(event: dict[str, Any], path: str) -> Any:
    node: Any = event
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _string_field(rng: random.Random, event: dict[str, Any]) -> str:
    kind = "person.roles_changed" if event["type"] == "person.roles_changed" else "enrollment.created"
    return rng.choice(STRING_FIELDS[kind])


def _name(rng: random.Random, length: int) -> str:
    """A name of about ``length`` characters that a person could really have."""
    if length > 300:  # long names repeat a real one: generating each letter costs too much
        base = _name(rng, 300) + " "
        return (base * (length // len(base) + 1))[: length - 1] + "A"  # no space to strip at the end
    words: list[str] = []
    size = 0
    while size < length:
        word = "".join(rng.choices(_NAME_LETTERS, k=rng.randint(2, 9)))
        if rng.random() < 0.3:
            word += rng.choice(EXTRAS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length].strip() or "Ana"


def real_names(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    person = event["data"]["person"]
    person["first_names"] = _name(rng, rng.choice([3, 12, 40, 61, 150, 300]))
    person["last_names"] = _name(rng, rng.choice([3, 20, 60, 200, 300]))
    return Case("real names", encode(event, ascii_only=rng.random() < 0.3), 202, document)


def deep_nesting(rng: random.Random) -> Case:
    """Nesting inside the envelope: 31 levels make 32 in all (the limit), more are refused."""
    opening, closing = rng.choice([(b"[", b"]"), (b'{"a": ', b"}")])
    depth = rng.choice([31, 33, 64, 1000, 5000, 40_000])
    event = _event(rng)
    document = _document(event)
    inner = opening * depth + b"1" + closing * depth
    body = encode(event)[:-1] + b', "extra": ' + inner + b"}"
    expect = 413 if len(body) > MAX_BODY_BYTES else 202 if depth <= 31 else 422
    return Case("deep nesting", body, expect, document)


def huge_numbers(rng: random.Random) -> Case:
    number = rng.choice(
        [
            b"9" * rng.randint(101, 20_000),
            b"-" + b"1" * rng.randint(101, 5000),
            b"1e" + str(rng.randint(309, 99_999)).encode(),
            b"-1e400",
            b"0." + b"1" * 200,
            b"NaN",
            b"Infinity",
            b"-Infinity",
        ]
    )
    event = _event(rng)
    document = _document(event)
    marker = "__NUMBER__"
    path = rng.choice(["extra", "occurred_at", "data.person.first_names", "data.person.document_number"])
    _set(event, path, marker)
    return Case("huge numbers", encode(event).replace(b'"__NUMBER__"', number), 422, document)


def control_characters(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    path = _string_field(rng, event)
    value = str(_get(event, path))
    cut = rng.randint(1, max(1, len(value) - 1))
    _set(event, path, value[:cut] + rng.choice(CONTROLS) + value[cut:])
    return Case("control characters", encode(event), 422, document)


def unknown_events(rng: random.Random) -> Case:
    """Unknown types are stored as sent: only NUL and lone surrogates can never be."""
    char = rng.choice(["\x00", "\x01", "\t", "\x7f", "\x9b", "\ud800", "\udfff", "😀", "\u200f"])
    data = {"nota": f"a{char}b", "lista": [1, 2.5, True, None, {"k": "v"}]}
    if rng.random() < 0.3:
        data = {f"clave{char}": 1}
    event = {"type": "sofia.future_event", "occurred_at": EPOCH, "data": data}
    refused = char in ("\x00", "\ud800", "\udfff")
    return Case("unknown events", encode(event, ascii_only=True), 422 if refused else 202)


def lone_surrogates(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    path = _string_field(rng, event)
    value = str(_get(event, path))
    char = rng.choice(["\ud800", "\udbff", "\udc00", "\udfff"])
    _set(event, path, value[:1] + char + value[1:])
    return Case("lone surrogates", encode(event, ascii_only=True), 422, document)


def long_names(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    which = rng.choice(["first_names", "last_names"])
    event["data"]["person"][which] = _name(rng, rng.choice([301, 1000, 10_000, 60_000]))
    return Case("long names", encode(event), 422, document)


def webhook_ids(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    length = rng.choice([1, 50, 200, 201, 1000, 5000])
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:~!$&"
    webhook_id = "".join(rng.choices(alphabet, k=length))
    if rng.random() < 0.2 and length <= 200:
        webhook_id = webhook_id[:-1] + rng.choice(["\x85", "\x9f", "\x80"])  # C1 controls, as latin-1 bytes
        expect = 422
    else:
        expect = 202 if length <= 200 else 422
    return Case("webhook ids", encode(event), expect, document, {"webhook_id": webhook_id})


def event_types(rng: random.Random) -> Case:
    kind = rng.choice(["t" * rng.randint(101, 10_000), "sofia.\x00", "x" * 100, " \u200f tipo raro 😀 "])
    event = {"type": kind, "occurred_at": EPOCH, "data": {}}
    expect = 422 if len(kind) > 100 or "\x00" in kind else 202
    return Case("event types", encode(event), expect)


def huge_headers(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    shape = rng.choice(["signature", "one", "many", "bulky"])
    options: dict[str, Any] = {}
    if shape == "signature":
        options["padding"] = " v1,c2lnbmF0dXJh" * (rng.randint(9, 200) * 1024 // 16)
    elif shape == "one":
        options["extra"] = {"x-sofia-trace": "x" * rng.randint(8 * 1024, 100 * 1024)}
    elif shape == "many":
        options["extra"] = {f"x-sofia-{n}": "1" for n in range(rng.randint(101, 300))}
    else:
        options["extra"] = {f"x-sofia-{n}": "x" * 7000 for n in range(rng.randint(5, 30))}
    return Case("huge headers", encode(event), 431, document, options)


WRONG_VALUES: list[Any] = [0, -1, 1.5, True, False, None, [], ["x"], {}, {"a": 1}, "", " ", "x" * 50]


def wrong_types(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    paths = [
        *STRING_FIELDS[
            "enrollment.created" if event["type"] != "person.roles_changed" else "person.roles_changed"
        ],
        "type",
        "occurred_at",
        "data",
        "data.person",
        "data.person.document_type",
        "data.person.birth_date",
    ]
    if event["type"] != "person.roles_changed":
        paths += [
            "data.enrollment",
            "data.enrollment.status",
            "data.enrollment.modality",
            "data.enrollment.start_date",
        ]
    else:
        paths += ["data.roles", "data.previous_roles"]
    document = _document(event)
    _set(event, rng.choice(paths), copy.deepcopy(rng.choice(WRONG_VALUES)))
    return Case("wrong types", encode(event), None, document)


def arrays_for_objects(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    where = rng.choice(["body", "data", "data.person", "data.enrollment"])
    if where == "body":
        return Case("arrays for objects", encode([event]), 422, document)
    if where == "data.enrollment" and event["type"] == "person.roles_changed":
        where = "data.person"
    _set(event, where, [_get(event, where)])
    return Case("arrays for objects", encode(event), 422, document)


def duplicate_keys(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    body = encode(event)
    twice = rng.choice([b'"type": "sofia.other", ', b'"data": [], ', b'"occurred_at": "ayer", '])
    body = b"{" + (twice + body[1:] if rng.random() < 0.5 else body[1:-1] + b", " + twice[:-2] + b"}")
    return Case("duplicate keys", body, None, document)


def instants(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    event["occurred_at"] = rng.choice(
        [
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:00:00+05:00",
            "9999-12-30T00:00:00Z",
            "1969-07-20T20:17:00Z",
            "2026-01-20T08:15:00",
            "2026-02-30T08:15:00-05:00",
            "mañana",
            "",
        ]
    )
    return Case("instants", encode(event), 422, document)


def not_json(rng: random.Random) -> Case:
    event = _event(rng)
    document = _document(event)
    text = encode(event)
    body, options = rng.choice(
        [
            (text[: rng.randint(1, len(text) - 1)], {}),
            (text + b" trailing", {}),
            (b"\xef\xbb\xbf" + text, {}),
            (b"", {}),
            (b'{"\xff' + text[2:], {}),  # not UTF-8
            (text, {"content_type": "text/plain"}),
            (text, {"content_type": "application/x-www-form-urlencoded"}),
        ]
    )
    return Case("not json", body, 415, document, options)


FAMILIES: list[tuple[Callable[[random.Random], Case], int]] = [
    (real_names, 150),
    (deep_nesting, 60),
    (huge_numbers, 70),
    (control_characters, 120),
    (unknown_events, 60),
    (lone_surrogates, 60),
    (long_names, 50),
    (webhook_ids, 80),
    (event_types, 40),
    (huge_headers, 60),
    (wrong_types, 140),
    (arrays_for_objects, 40),
    (duplicate_keys, 40),
    (instants, 40),
    (not_json, 50),
]


@functools.cache
def corpus(seed: int) -> list[Case]:
    """Every family's cases, shuffled: refusals and acceptances interleave on one connection.

    Made once per process: each store has its own database, so both can take the same cases."""
    rng = random.Random(seed)
    cases = [family(rng) for family, count in FAMILIES for _ in range(count)]
    rng.shuffle(cases)
    return cases


def decoded(case: Case) -> Any:
    """The body as the service decodes it (the last of duplicate keys wins)."""
    return json.loads(case.body.decode("utf-8"))
