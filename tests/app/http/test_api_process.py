"""The API process's own settings: request ids made without a system call, unique per process
and per forked child, and the GIL switch interval ``misena serve`` sets."""

from __future__ import annotations

import os
import sys

from app.http.guard import API_SWITCH_INTERVAL_SECONDS, prepare_api_process
from app.http.request_context import new_request_id, request_id_of


def test_request_ids_are_unique_and_look_like_the_caller_ids_we_accept() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert request_id_of([(b"x-request-id", b"\x00bad")]) not in ids


def test_a_forked_child_draws_its_own_prefix() -> None:
    parent = new_request_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    assert child[:20] != parent[:20]


def test_serve_shortens_the_gil_switch_interval() -> None:
    before = sys.getswitchinterval()
    try:
        prepare_api_process()
        assert sys.getswitchinterval() == API_SWITCH_INTERVAL_SECONDS < before
    finally:
        sys.setswitchinterval(before)
