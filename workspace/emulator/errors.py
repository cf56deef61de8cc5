"""Google's error envelope, so the real client library parses our errors as it parses Google's.

Every failure the emulator reports is a :class:`GoogleApiError`; one FastAPI handler turns it
into ``{"error": {"code", "message", "status", "errors": [{"domain", "reason", "message"}]}}``.
"""

from __future__ import annotations

from typing import Any

#: The canonical gRPC status Google puts in ``error.status`` for each HTTP code.
RPC_STATUS_BY_HTTP: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleApiError(Exception):
    """An error answered the way Google answers it (status, reason, message)."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str = "parameter",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location is not None:
            item["location"] = self.location
            item["locationType"] = self.location_type
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [item],
                "status": RPC_STATUS_BY_HTTP.get(self.status, "UNKNOWN"),
            }
        }


def invalid(message: str, *, location: str | None = None) -> GoogleApiError:
    """400 ``invalid``: what Google answers for a body or parameter it refuses."""
    return GoogleApiError(400, "invalid", message, location=location)


def not_found(message: str = "Resource Not Found: userKey") -> GoogleApiError:
    return GoogleApiError(404, "notFound", message)


def duplicate(message: str = "Entity already exists.") -> GoogleApiError:
    return GoogleApiError(409, "duplicate", message)
