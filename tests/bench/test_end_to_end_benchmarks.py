"""The end-to-end benchmarks still run against main: a tiny run of each, outcomes not timings.

They drive misena only through processes, environment and HTTP, so a change to the CLI or the
settings can break them silently until someone wants the figures; this catches that. It also
pins the one piece of arithmetic they judge by: the rolling-window count of a sender's sends.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.provisioning import run_baseline, run_misena
from bench.senders import most_in_any_window, run, sends_by_day
from tests.support.databases import require_postgres


def test_a_send_leaves_the_window_exactly_one_window_later() -> None:
    assert most_in_any_window([0.0, 10.0, 20.0, 30.0], 30.0) == 3, "the send at 0 is out at 30"
    assert most_in_any_window([0.0, 10.0, 20.0, 29.9], 30.0) == 4
    assert most_in_any_window([], 30.0) == 0
    assert sends_by_day([5.0, 6.0, 36.0, 70.0], 5.0, 30.0) == [2, 1, 1]


@pytest.mark.postgres
def test_a_tiny_provisioning_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    require_postgres()
    misena = run_misena(2, 12, 0, tmp_path)
    assert misena["finished"], misena
    assert misena["webhooks_accepted"] == 12
    assert (misena["lost"], misena["unexpected_accounts"], misena["second_emails"]) == (0, 0, 0), misena
    assert misena["missing_memberships"] == 0, misena
    assert misena["calls_per_account_by_method"]["gmail.users.messages.send"] == 1.0, misena


def test_the_naive_baseline_loses_what_it_gave_up_on(tmp_path: Path) -> None:
    """Past the creation quota it never retries, so it loses those people: the benchmark must
    count them as lost, not as done."""
    naive = run_baseline("naive", 6, 0, tmp_path, user_creates_per_second=1)

    assert naive["given_up"] > 0, naive
    assert naive["lost"] == naive["missing_memberships"] == naive["given_up"], naive
    assert naive["refusals_by_method"] == {"directory.users.insert 403": naive["given_up"]}
    assert (naive["unexpected_accounts"], naive["second_emails"]) == (0, 0), naive


@pytest.mark.postgres
def test_a_tiny_senders_backlog_drains_within_every_budget(tmp_path: Path) -> None:
    require_postgres()
    args = argparse.Namespace(
        senders=2, budget=2, gmail_limit=3, day_seconds=4.0, days=2, workers=1, latency_ms=0
    )
    result = run(args, tmp_path)

    assert result["finished"], result
    assert (result["delivered"], result["dropped"], result["second_emails"]) == (8, 0, 0), result
    assert max(result["most_in_any_window_by_sender"].values()) <= 2, result
    assert result["gmail_refusals"] == {}, result
