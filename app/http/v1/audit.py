"""``/v1/audit-events``: who did what to whom and why. Read-only here, append-only below."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db.models import AuditEvent
from app.db.paging import fetch_page
from app.http.v1.deps import Admin, Limit, PageToken, ServicesDep, problems
from app.http.v1.schemas import PageOf
from app.staff.audit import AuditFilter, audit_query
from app.staff.schemas import AuditOut
from sofia_sync.storable import StorableInstant, StoredText

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get(
    "", response_model=PageOf[AuditOut], responses=problems(400), summary="The audit trail, newest first"
)
def list_audit_events(
    services: ServicesDep,
    _: Admin,
    actor: Annotated[Annotated[str, StoredText(200)] | None, Query()] = None,
    action: Annotated[Annotated[str, StoredText(64)] | None, Query()] = None,
    person_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: Annotated[StorableInstant | None, Query(description="ISO 8601 with offset, inclusive.")] = None,
    until: Annotated[StorableInstant | None, Query(description="ISO 8601 with offset, exclusive.")] = None,
    limit: Limit = 50,
    page_token: PageToken = None,
) -> PageOf[AuditOut]:
    filters = AuditFilter(actor=actor, action=action, person_id=person_id, since=since, until=until)
    with services.sessions() as session:
        page = fetch_page(session, audit_query(filters), AuditEvent.id, page_token, limit)
        return PageOf(items=[AuditOut.of(a) for a in page.items], next_page_token=page.next_page_token)
