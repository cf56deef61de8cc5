"""The emulated Gmail mailbox of each sender: what ``messages.send`` stored, readable back.

Sent mail is kept as the exact RFC 5322 bytes received, so a test reads back precisely what the
client produced — headers, encodings and all — through the real Gmail client.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Any

from workspace.emulator.body_validation import validate_body
from workspace.emulator.errors import GoogleApiError, invalid, not_found
from workspace.emulator.paging import paginate
from workspace.emulator.state import EmulatorState, StoredMessage

MAX_MESSAGE_BYTES = 35 * 1024 * 1024


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _invalid_argument(message: str) -> GoogleApiError:
    """Gmail refuses a message it cannot send with reason ``invalidArgument``, not ``invalid``."""
    return GoogleApiError(400, "invalidArgument", message)


def _decode_raw(raw: Any) -> bytes:
    if not isinstance(raw, str) or not raw:
        raise _invalid_argument(
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
        )
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise invalid("Invalid value for ByteString: raw") from exc


def send_message(state: EmulatorState, sender: str, body: Any) -> dict[str, Any]:
    validate_body("gmail.v1", "Message", body)
    raw = _decode_raw(body.get("raw"))
    if len(raw) > MAX_MESSAGE_BYTES:
        raise GoogleApiError(413, "uploadTooLarge", "Request payload size exceeds the limit")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    recipients = getaddresses([str(v) for h in ("To", "Cc", "Bcc") for v in parsed.get_all(h, [])])
    if not any("@" in address for _, address in recipients):
        raise _invalid_argument("Recipient address required")
    message_id = f"{next(state.id_counter):016x}"
    stored = StoredMessage(
        id=message_id,
        thread_id=body.get("threadId") or message_id,
        raw=raw,
        internal_date_ms=int(state.wall_now().timestamp() * 1000),
        label_ids=["SENT"],
        sent_at=state.now(),
    )
    state.mailboxes.setdefault(sender.lower(), []).append(stored)
    return {"id": stored.id, "threadId": stored.thread_id, "labelIds": stored.label_ids}


def sent_mail(state: EmulatorState) -> list[dict[str, Any]]:
    """Every message sent, oldest first: sender, recipients and the emulator-clock instant.

    For benchmarks and tests that check a whole run at once (who got mail, from which sender,
    how many in any window) without a Gmail ``messages.get`` per message.
    """
    sent: list[dict[str, Any]] = []
    for sender, messages in state.mailboxes.items():
        for message in messages:
            parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
            to = [address.lower() for _, address in getaddresses([str(v) for v in parsed.get_all("To", [])])]
            sent.append({"id": message.id, "sender": sender, "to": to, "sent_at": message.sent_at})
    return sorted(sent, key=lambda item: (item["sent_at"], item["id"]))


def _mailbox(state: EmulatorState, owner: str) -> list[StoredMessage]:
    return state.mailboxes.get(owner.lower(), [])


def list_messages(
    state: EmulatorState, owner: str, *, max_results: int, page_token: str | None, q: str
) -> dict[str, Any]:
    if not 1 <= max_results <= 500:
        raise invalid("Invalid maxResults", location="maxResults")
    newest_first = list(reversed(_mailbox(state, owner)))
    matching = [m for m in newest_first if _matches(m, q)]
    page = paginate(matching, max_results, page_token, f"messages|{owner.lower()}|{q}")
    result: dict[str, Any] = {"resultSizeEstimate": len(matching)}
    if page.items:
        result["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page.items]
    if page.next_token:
        result["nextPageToken"] = page.next_token
    return result


def _matches(message: StoredMessage, q: str) -> bool:
    """The small part of Gmail search tests need: ``to:address`` terms, ANDed."""
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    for term in q.split():
        field, _, value = term.partition(":")
        if field.lower() == "to":
            addresses = [a.lower() for _, a in getaddresses([str(v) for v in parsed.get_all("To", [])])]
            if value.lower() not in addresses:
                return False
    return True


def get_message(state: EmulatorState, owner: str, message_id: str, fmt: str) -> dict[str, Any]:
    for message in _mailbox(state, owner):
        if message.id == message_id:
            return _render(message, fmt)
    raise not_found("Requested entity was not found.")


def _render(message: StoredMessage, fmt: str) -> dict[str, Any]:
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    result: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": message.label_ids,
        "snippet": _snippet(parsed),
        "historyId": str(int(message.id, 16)),
        "internalDate": str(message.internal_date_ms),
        "sizeEstimate": len(message.raw),
    }
    if fmt == "raw":
        result["raw"] = _b64url(message.raw)
    elif fmt in ("full", "metadata"):
        result["payload"] = _part(parsed, "", with_body=fmt == "full")
    elif fmt != "minimal":
        raise invalid("Invalid format", location="format")
    return result


def _snippet(parsed: Message) -> str:
    if isinstance(parsed, EmailMessage):
        part = parsed.get_body(preferencelist=("plain",))
        if part is not None and isinstance(part, EmailMessage):
            return " ".join(str(part.get_content()).split())[:200]
    return ""


def _part(part: Message, part_id: str, *, with_body: bool) -> dict[str, Any]:
    """Gmail's ``MessagePart``: headers unfolded with RFC 2047 encoded words decoded (as Gmail
    shows them), body data base64url of the decoded content."""
    node: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)  # noqa: S101 - multipart payloads are lists
        node["body"] = {"size": 0}
        node["parts"] = [
            _part(child, f"{part_id}.{i}" if part_id else str(i), with_body=with_body)
            for i, child in enumerate(children)
        ]
    else:
        data = part.get_payload(decode=True)
        content = data if isinstance(data, bytes) else b""
        node["body"] = {"size": len(content)}
        if with_body:
            node["body"]["data"] = _b64url(content)
    return node
