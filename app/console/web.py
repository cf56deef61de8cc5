"""What every console route shares: the services, the signed-in staff member, posted forms
(CSRF checked first), and how a refusal becomes a page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.console.rendering import BASE, _, flash, render
from app.console.staff import (
    CSRF_FIELD,
    CsrfRefusedError,
    NotAllowedError,
    SignInRequiredError,
    Staff,
    check_csrf,
    current_staff,
    require,
)
from app.errors import ConflictError, ForbiddenError, InvalidInputError, MisenaError, NotFoundError
from app.runtime.services import Services
from app.staff.tokens import Scope
from sofia_sync.storable import refuse_control_characters

#: A row id in a path, as the API takes it (a 32-bit id; anything else is 422, not a 500).
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: How long a reason the audit trail keeps; the same limit as the API's.
REASON_MAX = 500
REASON_MIN = 3


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def viewer(request: Request, scope: Scope) -> Staff:
    """The signed-in staff member, if they hold ``scope`` (else sign-in, or 403)."""
    return await run_in_threadpool(require, request, services_of(request), scope)


async def posted(request: Request, scope: Scope) -> tuple[Staff, FormData]:
    """A posted form from a signed-in staff member: the CSRF token is checked before the
    scope, and before anything is done."""
    services = services_of(request)
    if await run_in_threadpool(current_staff, request, services) is None:
        raise SignInRequiredError
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    check_csrf(request, submitted if isinstance(submitted, str) else None)
    return await viewer(request, scope), form


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def text_problem(label: str, value: str, limit: int) -> str | None:
    """What is wrong with a typed value by the rule for every stored string
    (:mod:`sofia_sync.storable`: no NUL or control characters, a length limit), naming the
    field by its label; ``None`` if nothing."""
    try:
        refuse_control_characters(value)
    except ValueError:
        return _("«%(field)s» holds a character that cannot be kept (a control character).") % {
            "field": label
        }
    if len(value) > limit:
        return _("«%(field)s» takes up to %(count)s characters.") % {"field": label, "count": limit}
    return None


def reason_problem(reason: str) -> str | None:
    """Spanish for what is wrong with a reason (required for every console action), or ``None``."""
    if len(reason) < REASON_MIN:
        return _("Give the reason (at least %(count)s characters).") % {"count": REASON_MIN}
    return text_problem(_("Reason"), reason, REASON_MAX)


def spanish_of(error: MisenaError) -> str:
    """The refusal as a SENA person reads it."""
    return error.text.es if error.text is not None else str(error)


def back(request: Request, to: str, kind: str, message: str) -> RedirectResponse:
    flash(request, kind, message)
    return RedirectResponse(f"{BASE}{to}", status_code=303)


ERROR_STATUS: dict[type[MisenaError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    InvalidInputError: 422,
    ForbiddenError: 403,
}


def error_page(request: Request, staff: Staff | None, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html.j2", staff, status_code=status, status=status, message=message)


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    if request.method == "GET":
        return RedirectResponse(f"{BASE}/sign-in?next={request.url.path}", status_code=303)
    return error_page(request, None, 401, _("Sign in to continue."))


async def on_not_allowed(request: Request, exc: Exception) -> Response:
    scope = exc.scope.value if isinstance(exc, NotAllowedError) else "?"
    staff = current_staff(request, services_of(request))
    message = _("Your account lacks the «%(scope)s» permission this needs.") % {"scope": scope}
    return error_page(request, staff, 403, message)


async def on_csrf(request: Request, exc: Exception) -> Response:
    staff = current_staff(request, services_of(request))
    message = _("The form lacks your session's security code; reload the page and try again.")
    return error_page(request, staff, 403, message)


async def on_misena_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, MisenaError):
        raise exc
    status = next((code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind)), 400)
    return error_page(request, current_staff(request, services_of(request)), status, spanish_of(exc))


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    """A path or query value of the wrong shape (``/console/people/abc``): 422, naming it."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    named = ", ".join(str(error.get("loc", ["?"])[-1]) for error in errors) or "?"
    message = _("Invalid value for: %(fields)s.") % {"fields": named}
    return error_page(request, current_staff(request, services_of(request)), 422, message)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """A page that does not exist (404) or a method it does not take (405), as a page."""
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
    message = _("There is no such page.") if status == 404 else _("This page does not take that request.")
    return error_page(request, current_staff(request, services_of(request)), status, message)


HANDLERS: dict[type[Exception], Any] = {
    StarletteHTTPException: on_http_error,
    RequestValidationError: on_invalid_request,
    SignInRequiredError: on_sign_in_required,
    NotAllowedError: on_not_allowed,
    CsrfRefusedError: on_csrf,
    MisenaError: on_misena_error,
}
