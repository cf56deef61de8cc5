"""What an operator sees of the shared quota on ``/metrics``: waits, the current rate, refusals."""

from __future__ import annotations

import httpx

from tests.support.harness import Harness, enrollment


def test_metrics_show_each_buckets_wait_and_rate_after_an_enrollment(harness: Harness) -> None:
    harness.deliver(enrollment("1000000042", document_type="CC"))
    text = httpx.get(f"{harness.base_url}metrics").text
    for bucket in ("directory.creates", "directory.queries", "gmail.sends"):
        assert f'misena_quota_wait_seconds_count{{bucket="{bucket}"}}' in text
        assert f'misena_quota_rate_per_second{{bucket="{bucket}"}}' in text
    assert "misena_quota_refusals_total" in text
