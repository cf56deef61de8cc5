"""Per-thread services keep the collections they made (``workspace.google_session.Collections``):
google-api-python-client builds a new ``Resource`` with every method of the discovery document
each time a collection is asked for, which profiling put at about a tenth of a worker's CPU."""

from __future__ import annotations

import threading

from tests.support.google import ADMIN
from workspace.emulator.control_client import EmulatorControl
from workspace.google_session import DIRECTORY_SCOPES, GMAIL_SEND_SCOPES, GoogleConnection, ServiceFactory


def test_a_collection_is_made_once_per_thread_and_requests_still_go(
    emulator: EmulatorControl, connection: GoogleConnection
) -> None:
    services = ServiceFactory(connection)
    directory = services.service("admin", "directory_v1", ADMIN, DIRECTORY_SCOPES)
    assert directory.users() is directory.users()
    gmail = services.service("gmail", "v1", ADMIN, GMAIL_SEND_SCOPES)
    assert gmail.users().messages() is gmail.users().messages(), "nested collections too"
    request = directory.users().get(userKey=ADMIN)
    assert request is not directory.users().get(userKey=ADMIN), "requests are made each time"
    assert request.execute()["primaryEmail"] == ADMIN

    other: list[object] = []
    thread = threading.Thread(
        target=lambda: other.append(
            services.service("admin", "directory_v1", ADMIN, DIRECTORY_SCOPES).users()
        )
    )
    thread.start()
    thread.join()
    assert other[0] is not directory.users(), "another thread has its own (its Http is its own)"
