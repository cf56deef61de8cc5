"""Opaque ``page_token`` keyset paging: newest first, stable while rows are added.

The token is the last id of the previous page, base64url-encoded with a version tag so its
shape can change later; clients must treat it as opaque. A token that does not decode is the
client's mistake: 400 naming ``page_token``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import FieldProblem, InvalidPageTokenError
from app.texts import Text

T = TypeVar("T")
#: Ids are 64-bit at most on both stores; a larger "before" cannot be bound (OverflowError).
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None


def encode_token(last_id: int) -> str:
    raw = json.dumps({"v": 1, "before": last_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        before = data["before"]
        if data.get("v") != 1 or not isinstance(before, int) or isinstance(before, bool):
            raise ValueError("unknown token shape")
        if not 0 < before <= _MAX_ID:
            raise ValueError("not an id")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidPageTokenError(
            Text("page_token must be a token returned by a previous page."),
            fields=[FieldProblem("page_token", Text("not a token this API issued"))],
        ) from exc
    return before


def fetch_page(
    session: Session,
    statement: Select[Any],
    id_column: InstrumentedAttribute[int],
    page_token: str | None,
    limit: int,
) -> Page[Any]:
    """Rows of ``statement`` ordered by ``id_column`` descending, after ``page_token``."""
    if page_token:
        statement = statement.where(id_column < decode_token(page_token))
    rows: Sequence[Any] = session.scalars(statement.order_by(id_column.desc()).limit(limit + 1)).all()
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items, encode_token(getattr(items[-1], id_column.key)) if more and items else None)
