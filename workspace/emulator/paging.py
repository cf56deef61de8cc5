"""Opaque page tokens bound to the query that produced them, as Google's are.

A token replayed with a different query (or tampered with) is refused with 400, which is what
catches a client that changes its filter mid-pagination.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from workspace.emulator.errors import invalid

T = TypeVar("T")

_SECRET = secrets.token_bytes(32)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_token: str | None


def _sign(payload: bytes) -> str:
    return hmac.new(_SECRET, payload, hashlib.sha256).hexdigest()[:32]


def encode_token(binding: str, offset: int) -> str:
    payload = json.dumps({"b": _sign(binding.encode()), "o": offset}).encode()
    token = json.dumps({"p": payload.decode(), "s": _sign(payload)}).encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_token(token: str, binding: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        wrapper = json.loads(raw)
        payload = wrapper["p"].encode()
        if not hmac.compare_digest(_sign(payload), wrapper["s"]):
            raise ValueError("signature")
        data = json.loads(payload)
        if not hmac.compare_digest(data["b"], _sign(binding.encode())):
            raise ValueError("binding")
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise invalid("Invalid page token", location="pageToken") from exc
    return offset


def paginate(items: Sequence[T], size: int, token: str | None, binding: str) -> Page[T]:
    offset = decode_token(token, binding) if token else 0
    end = offset + size
    next_token = encode_token(binding, end) if end < len(items) else None
    return Page(items=items[offset:end], next_token=next_token)
