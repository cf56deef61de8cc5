"""The checks of this side: the webhook secrets, the database's migrations, and the seats as
our own records tell them.

Seats: the Directory API says nothing of a tenant's licences (the Enterprise License Manager
API counts some SKUs' assignments, not the headroom, and needs a scope misena does not hold).
What misena can honestly say is whether Google has recently refused a new account with 412
"Domain user limit reached." — a job's last error keeps that answer — and otherwise that the
headroom is unknown, as a warning.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from app.clock import Clock
from app.db.migrate import current_revision, head_revision, known_revisions
from app.db.models import Job
from app.doctor.report import Area, Status, Verdict
from app.settings import WELL_KNOWN_SECRETS
from app.texts import Text
from workspace.errors import SEAT_LIMIT_MARKER

#: Standard Webhooks secrets: ``whsec_`` and the base64 of the key; at least 24 bytes of it.
WHSEC_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24
#: How far back a 412 "Domain user limit reached." still says the tenant has no seats.
SEAT_REFUSAL_WINDOW = timedelta(hours=24)
_NEW_SECRET = Text(
    "Generate one with: python -c \"import base64, secrets; print('whsec_' + "
    'base64.b64encode(secrets.token_bytes(32)).decode())", set it in MISENA_WEBHOOK_SECRETS '
    "and give the same secret to Sofia Plus."
)


def _secret_flaw(secret: str) -> Text | None:
    if secret in WELL_KNOWN_SECRETS:
        return Text("is a well-known example secret")
    if not secret.startswith(WHSEC_PREFIX):
        return Text("does not start with whsec_")
    try:
        key = base64.b64decode(secret.removeprefix(WHSEC_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return Text("is not base64 after whsec_")
    if len(key) < MIN_SECRET_BYTES:
        return Text(
            "holds {count} bytes of key, fewer than {minimum}", count=len(key), minimum=MIN_SECRET_BYTES
        )
    return None


def check_webhook_secrets(secrets: tuple[SecretStr, ...]) -> Verdict:
    """Every configured secret set and strong; each is named by its position, never shown."""
    name, area = "webhook_secrets", Area.SETTINGS
    if not secrets:
        return Verdict(name, area, Status.FAIL, Text("MISENA_WEBHOOK_SECRETS is empty."), _NEW_SECRET)
    for position, secret in enumerate(secrets, start=1):
        flaw = _secret_flaw(secret.get_secret_value())
        if flaw is not None:
            message = Text(
                "Secret {position} of {count} in MISENA_WEBHOOK_SECRETS {flaw}.",
                position=position,
                count=len(secrets),
                flaw=flaw,
            )
            return Verdict(name, area, Status.FAIL, message, _NEW_SECRET)
    return Verdict(name, area, Status.OK, Text("{count} strong secret(s) set.", count=len(secrets)))


def check_database(engine: Engine) -> Verdict:
    name, area = "database", Area.DATABASE
    migrate = Text("Run `misena migrate` against MISENA_DATABASE_URL.")
    try:
        current = current_revision(engine)
    except SQLAlchemyError:
        return Verdict(
            name,
            area,
            Status.FAIL,
            Text("Cannot use the database of MISENA_DATABASE_URL."),
            Text("Check that the database is running and that MISENA_DATABASE_URL points at it."),
        )
    head = head_revision()
    if current is None:
        return Verdict(name, area, Status.FAIL, Text("The database was never migrated."), migrate)
    if current not in known_revisions():
        return Verdict(
            name,
            area,
            Status.FAIL,
            Text(
                "The database is at revision {current}, newer than this code ({head}).",
                current=current,
                head=head,
            ),
            Text("Run the version of misena that migrated it, or a newer one."),
        )
    if current != head:
        return Verdict(
            name,
            area,
            Status.FAIL,
            Text(
                "The database is at revision {current}; this code needs {head}.", current=current, head=head
            ),
            migrate,
        )
    return Verdict(name, area, Status.OK, Text("Migrated to the latest revision ({head}).", head=head))


def last_seat_refusal(engine: Engine, since: datetime) -> datetime | None:
    """When a job last recorded Google's 412 "Domain user limit reached." (since ``since``)."""
    query = (
        select(Job.updated_at)
        .where(func.lower(Job.last_error).contains(SEAT_LIMIT_MARKER), Job.updated_at >= since)
        .order_by(Job.updated_at.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        moment: datetime | None = connection.execute(query).scalar()
    return moment


def check_seats(engine: Engine, clock: Clock) -> Verdict:
    name, area = "seats", Area.GOOGLE
    refused_at = last_seat_refusal(engine, clock() - SEAT_REFUSAL_WINDOW)
    if refused_at is not None:
        return Verdict(
            name,
            area,
            Status.FAIL,
            Text(
                "Google refused a new account for lack of licences (412 Domain user limit reached.) "
                "at {moment}.",
                moment=refused_at.strftime("%Y-%m-%d %H:%M UTC"),
            ),
            Text(
                "Buy or free Google Workspace licences (Admin console > Billing > Subscriptions), then "
                "retry the dead jobs: misena jobs retry --dead."
            ),
        )
    return Verdict(
        name,
        area,
        Status.WARN,
        Text(
            "Unknown: Google does not tell the free seats through the Directory API; no new account "
            "was refused for lack of licences in the last 24 hours."
        ),
        Text(
            "See the licences left in the Admin console > Billing > Subscriptions before a large enrollment."
        ),
    )
