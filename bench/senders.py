"""Benchmark: a backlog of several days of credentials emails through a pool of senders.

Issue 13's third figure. Gmail lets each sender mailbox send a limited number of messages in
any rolling 24 hours; misena spreads credentials over a pool of senders, keeps each under its
own budget (``MISENA_MAIL_SENDER_DAILY_BUDGET``) and makes the rest wait for a slot. Here "a
day" is seconds long on both sides (the emulator's ``gmail_sending_window_seconds`` and
misena's ``MISENA_MAIL_SENDER_WINDOW_SECONDS``) and the limits are scaled down with it, so a
backlog of ``--days`` days of the pool's capacity drains while we watch.

Every process has the same default settings but those two scaled ones; misena runs as
``misena serve --no-worker`` plus ``--workers`` worker processes on a private PostgreSQL
database, against the emulator in its own process. Checked from the emulator's sent mail:

* every delivery made — each enrolled person received credentials, exactly once;
* none over any sender's rolling budget — for every send, the sender's sends in the window
  ending there (emulator clock) are at most misena's budget, and Gmail refused none;
* none dropped — no person without an email when the run ends.

    python -m bench.senders                       # 3 senders, 19 each a "day" of 30 s, 3 days
    python -m bench.senders --day-seconds 10      # a quicker look

JSON results go to ``bench/results/<date>-<host>-senders.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench import stack
from bench.provisioning import ORG_UNIT, account, enrollment, settled_counters


def most_in_any_window(times: list[float], window: float) -> int:
    """The most sends in any window of ``window`` seconds, as Gmail counts (a send leaves the
    window exactly ``window`` seconds later)."""
    best = start = 0
    for end, moment in enumerate(times):
        while times[start] + window <= moment:
            start += 1
        best = max(best, end - start + 1)
    return best


def sends_by_day(times: list[float], first: float, window: float) -> list[int]:
    """Sends in each "day" counted from the first send: how the backlog drained."""
    days = Counter(int((moment - first) // window) for moment in times)
    return [days[day] for day in range(max(days, default=-1) + 1)]


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    senders = [f"notificaciones{n + 1}@{stack.DOMAIN}" for n in range(args.senders)]
    budget = args.budget
    people = args.days * args.senders * budget
    window = float(args.day_seconds)
    gmail = {"gmail_messages_per_day": args.gmail_limit, "gmail_sending_window_seconds": window}
    scaled = (
        ("MISENA_MAIL_SENDER_DAILY_BUDGET", str(budget)),
        ("MISENA_MAIL_SENDER_WINDOW_SECONDS", str(window)),
    )
    with stack.emulator(workdir, args.latency_ms, **gmail) as emulator, stack.private_database() as url:
        groups = sorted({account(n).group for n in range(people)})
        stack.seed_tenant(emulator.control, senders=senders, org_units=[ORG_UNIT], groups=groups)
        service = stack.Service(url, emulator, tuple(senders), stack.new_secret(), extra=scaled)
        fleet = stack.Fleet(service, workdir)
        try:
            fleet.start(args.workers)
            started = time.monotonic()
            statuses = stack.post_all(
                fleet.webhook_url, service.secret, [enrollment(n) for n in range(people)]
            )

            def recipients() -> int:
                return len({a for m in emulator.control.sent_mail()[1] for a in m["to"]})

            finished = stack.wait_for(
                lambda: recipients() >= people, stall_seconds=3 * window + 60, progress=recipients
            )
            counters = settled_counters(emulator)
            _, mail = emulator.control.sent_mail()
        finally:
            fleet.stop()
    by_sender: dict[str, list[float]] = defaultdict(list)
    for message in mail:
        by_sender[message["sender"]].append(message["sent_at"])
    emails = Counter(address for message in mail for address in message["to"])
    expected = [account(n).personal_email for n in range(people)]
    first = min((m["sent_at"] for m in mail), default=started)
    last = max((m["sent_at"] for m in mail), default=started)
    sends = counters.get("gmail.users.messages.send", {})
    return {
        "senders": args.senders,
        "budget_per_day": budget,
        "gmail_limit_per_day": args.gmail_limit,
        "day_seconds": window,
        "days_of_backlog": args.days,
        "people": people,
        "workers": args.workers,
        "webhooks_accepted": sum(1 for status in statuses if status == 202),
        "finished": finished,
        "delivered": sum(1 for address in expected if emails[address] > 0),
        "dropped": sum(1 for address in expected if emails[address] == 0),
        "second_emails": sum(1 for address in expected if emails[address] > 1),
        "most_in_any_window_by_sender": {
            sender: most_in_any_window(sorted(times), window) for sender, times in sorted(by_sender.items())
        },
        "sends_by_sender": {sender: len(times) for sender, times in sorted(by_sender.items())},
        "gmail_refusals": {status: count for status, count in sends.items() if status != "200"},
        "sends_by_day": sends_by_day([m["sent_at"] for m in mail], first, window),
        "first_to_last_email_seconds": round(last - first, 2),
        "first_to_last_email_days": round((last - first) / window, 2),
        "least_possible_days": args.days - 1,
        "webhook_to_last_email_seconds": round(last - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--senders", type=int, default=3)
    parser.add_argument("--budget", type=int, default=19, help="misena's budget per sender and day")
    parser.add_argument("--gmail-limit", type=int, default=20, help="Gmail's limit per sender and day")
    parser.add_argument("--day-seconds", type=float, default=30.0, help="how long 'a day' is, both sides")
    parser.add_argument("--days", type=int, default=3, help="the backlog, in days of the pool's capacity")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="misena-bench-senders-") as tmp:
        result = run(args, Path(tmp))
    over = {s: n for s, n in result["most_in_any_window_by_sender"].items() if n > result["budget_per_day"]}
    command = (
        f"python -m bench.senders --senders {args.senders} --budget {args.budget} --gmail-limit "
        f"{args.gmail_limit} --day-seconds {args.day_seconds:g} --days {args.days} --workers {args.workers} "
        f"--latency-ms {args.latency_ms}"
    )
    path = stack.write_results("senders", {"command": command, "over_budget": over, **result})
    print(
        f"{result['delivered']}/{result['people']} delivered, {result['dropped']} dropped, "
        f"{result['second_emails']} twice; most in any window by sender "
        f"{result['most_in_any_window_by_sender']} (budget {result['budget_per_day']}); Gmail refusals "
        f"{result['gmail_refusals'] or 0}; first to last email {result['first_to_last_email_days']} days "
        f"(least possible {result['least_possible_days']}); sends by day {result['sends_by_day']}\n{path}"
    )


if __name__ == "__main__":
    main()
