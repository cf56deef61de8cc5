"""Gmail ``messages.send`` as a delegated sender, read back through the real client."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest

from tests.support.google_bodies import DOMAIN, expect_error, gmail_service, new_user
from workspace.emulator.control_client import EmulatorControl
from workspace.emulator.server import EmulatorServer

SENDER = f"notificaciones@{DOMAIN}"
OTHER = f"otra.remitente@{DOMAIN}"
SUBJECT = "Tu cuenta Mi SENA está lista — ñandú"
TEXT = "Hola María José,\n\nTu contraseña temporal llegó. Cámbiala al ingresar.\n"
HTML = "<p>Hola <b>María José</b>, tu cuenta está lista.</p>"


@pytest.fixture
def senders(emulator: EmulatorControl) -> EmulatorControl:
    emulator.seed(users=[new_user("notificaciones"), new_user("otra.remitente")])
    return emulator


def mime_message(to: str = '"María José Peña" <maria.pena@example.com>') -> bytes:
    message = EmailMessage()
    message["From"] = f"Mi SENA <{SENDER}>"
    if to:
        message["To"] = to
    message["Subject"] = SUBJECT
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message.as_bytes(policy=SMTP)


def encode(raw: bytes) -> dict[str, str]:
    return {"raw": base64.urlsafe_b64encode(raw).decode()}


def decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def header(part: dict[str, Any], name: str) -> str:
    values = [h["value"] for h in part["headers"] if h["name"].lower() == name.lower()]
    assert len(values) == 1, (name, part["headers"])
    value: str = values[0]
    return value


def test_a_sent_utf8_message_reads_back_byte_for_byte(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    raw = mime_message()
    assert b"=?utf-8?" in raw  # the Subject and the display name travel encoded
    sender = gmail_service(emulator_server, key_info, SENDER, "gmail.send")

    sent = sender.users().messages().send(userId="me", body=encode(raw)).execute()

    assert "SENT" in sent["labelIds"]
    reader = gmail_service(emulator_server, key_info, SENDER, "gmail.readonly")
    listed = reader.users().messages().list(userId="me").execute()
    assert [m["id"] for m in listed["messages"]] == [sent["id"]]
    as_raw = reader.users().messages().get(userId=SENDER, id=sent["id"], format="raw").execute()
    assert decode(as_raw["raw"]) == raw
    assert as_raw["sizeEstimate"] == len(raw)


def test_format_full_gives_decoded_headers_and_parts(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    sender = gmail_service(emulator_server, key_info, SENDER, "gmail.send")
    sent = sender.users().messages().send(userId="me", body=encode(mime_message())).execute()
    reader = gmail_service(emulator_server, key_info, SENDER, "gmail.readonly")

    full = reader.users().messages().get(userId="me", id=sent["id"], format="full").execute()

    payload = full["payload"]
    assert payload["mimeType"] == "multipart/alternative"
    assert header(payload, "Subject") == SUBJECT
    assert header(payload, "To") == "María José Peña <maria.pena@example.com>"
    assert header(payload, "From") == f"Mi SENA <{SENDER}>"
    assert [p["mimeType"] for p in payload["parts"]] == ["text/plain", "text/html"]
    plain, html = payload["parts"]
    # bodies come back as sent: CRLF line ends, since the message was built for SMTP
    assert decode(plain["body"]["data"]).decode("utf-8") == TEXT.replace("\n", "\r\n")
    assert decode(html["body"]["data"]).decode("utf-8").strip() == HTML
    assert full["snippet"].startswith("Hola María José")


def test_each_sender_only_sees_its_own_mailbox(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    sender = gmail_service(emulator_server, key_info, SENDER, "gmail.send")
    sent = sender.users().messages().send(userId="me", body=encode(mime_message())).execute()
    other = gmail_service(emulator_server, key_info, OTHER, "gmail.readonly")

    assert "messages" not in other.users().messages().list(userId="me").execute()
    expect_error(other.users().messages().get(userId="me", id=sent["id"], format="raw"), 404, "notFound")


def test_a_user_id_other_than_the_token_subject_is_forbidden(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    sender = gmail_service(emulator_server, key_info, SENDER, "gmail.send")
    reader = gmail_service(emulator_server, key_info, SENDER, "gmail.readonly")

    expect_error(
        sender.users().messages().send(userId=OTHER, body=encode(mime_message())),
        403,
        "forbidden",
    )
    expect_error(reader.users().messages().list(userId=OTHER), 403, "forbidden")
    assert senders.calls("gmail.users.messages.send", 200) == 0


def test_a_message_without_recipient_is_refused(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    sender = gmail_service(emulator_server, key_info, SENDER, "gmail.send")

    expect_error(
        sender.users().messages().send(userId="me", body=encode(mime_message(to=""))),
        400,
        "invalidArgument",
    )
    expect_error(sender.users().messages().send(userId="me", body={}), 400, "invalidArgument")


def test_sending_with_a_readonly_token_is_insufficient_permissions(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    reader = gmail_service(emulator_server, key_info, SENDER, "gmail.readonly")

    expect_error(
        reader.users().messages().send(userId="me", body=encode(mime_message())),
        403,
        "insufficientPermissions",
    )
    assert "messages" not in reader.users().messages().list(userId="me").execute()


def test_reading_with_a_send_only_token_is_insufficient_permissions(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    sender = gmail_service(emulator_server, key_info, SENDER, "gmail.send")

    expect_error(sender.users().messages().list(userId="me"), 403, "insufficientPermissions")


def test_the_control_plane_lists_sent_mail_by_sender_and_instant(
    senders: EmulatorControl, emulator_server: EmulatorServer, key_info: dict[str, Any]
) -> None:
    senders.freeze_clock()
    first = gmail_service(emulator_server, key_info, SENDER, "gmail.send")
    second = gmail_service(emulator_server, key_info, OTHER, "gmail.send")
    first.users().messages().send(userId="me", body=encode(mime_message())).execute()
    senders.advance_clock(2.5)
    second.users().messages().send(
        userId="me", body=encode(mime_message("Otro <Otro@Example.com>"))
    ).execute()

    now, sent = senders.sent_mail()

    assert [(m["sender"], m["to"]) for m in sent] == [
        (SENDER, ["maria.pena@example.com"]),
        (OTHER, ["otro@example.com"]),
    ]
    assert sent[1]["sent_at"] - sent[0]["sent_at"] == pytest.approx(2.5)
    assert now == pytest.approx(sent[1]["sent_at"])
