"""Benchmark: N new enrollments, signed webhook to credentials delivered, at Google's quota.

Issue 13's first figure. For each configuration a fresh emulator runs in its own process at
Google's default limits (10 user creations/s, 2,400 Directory queries/min, 2,000 messages a day
per sender), answering every call after ``--latency-ms``; its tenant holds the Sofia Plus
schema, the sender mailboxes, the org unit and the fichas' groups. Then either

* **misena**: a private PostgreSQL database, ``misena migrate``, ``misena serve --no-worker``
  and 1, 2 or 4 ``misena worker`` processes, every one with the same default settings (nothing
  divided or tuned per replica), taking one signed ``enrollment.created`` webhook per person; or
* a **baseline** script (``bench/provisioning_baselines.py``): naive sequential, or GAM-like
  (5 threads, backoff, no shared pacing).

Measured: wall time from the first webhook (or the script's first call) to the last credentials
email the emulator took, over the quota floor N/10 s; quota refusals (the emulator's 403/429
answers); Google calls per account by method (the emulator's counters); lost people (no account,
or no email) and duplicates (an unexpected account, or a second email).

    python -m bench.provisioning                               # the issue's figures: 1,500 people
    python -m bench.provisioning --people 200 --workers 1,2    # a quicker look

JSON results go to ``bench/results/<date>-<host>-provisioning.json``.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from googleapiclient.errors import HttpError

from bench import stack
from bench.provisioning_baselines import Account, Clients, run_gam_like, run_naive
from sofia_sync.contract import EVENT_EXAMPLES

ORG_UNIT = "/Aprendices/Distrito Capital"  # the contract example's regional, policy default
PER_FICHA = 30
SENDER_BUDGET = 1900  # misena's default per-sender budget: enough mailboxes for N emails


def document(n: int) -> str:
    return str(1_030_000_000 + n)


def ficha(n: int) -> str:
    return str(2_700_000 + n // PER_FICHA)


def enrollment(n: int) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(EVENT_EXAMPLES["enrollment.created"])
    event["data"]["person"].update(
        document_type="CC", document_number=document(n), personal_email=f"aprendiz{n}@example.com"
    )
    event["data"]["enrollment"]["ficha"] = ficha(n)
    return event


def account(n: int) -> Account:
    return Account(
        address=f"{document(n)}@{stack.DOMAIN}",
        given="María José",
        family="Peña de la Torre",
        org_unit=ORG_UNIT,
        group=f"ficha-{ficha(n)}@{stack.DOMAIN}",
        personal_email=f"aprendiz{n}@example.com",
    )


#: Gmail lets a sender send 150 messages a minute (2.5/s): keeping up with Google's 10 creations a
#: second takes at least 5 mailboxes (misena paces each at 2.4/s). The baselines send from the first.
SENDERS_FOR_RATE = 5


def senders_for(people: int) -> list[str]:
    count = max(SENDERS_FOR_RATE, -(-people // SENDER_BUDGET))
    return [f"notificaciones{n or ''}@{stack.DOMAIN}" for n in range(count)]


def fresh_tenant(emulator: stack.Emulator, people: int) -> None:
    groups = sorted({account(n).group for n in range(people)})
    stack.seed_tenant(emulator.control, senders=senders_for(people), org_units=[ORG_UNIT], groups=groups)


# --- one configuration -------------------------------------------------------------------------


def sends(emulator: stack.Emulator) -> int:
    return sum(emulator.control.counters()["calls"].get("gmail.users.messages.send", {}).values())


def delivered(emulator: stack.Emulator) -> int:
    _, mail = emulator.control.sent_mail()
    return len({address for message in mail for address in message["to"]})


def outcome(emulator: stack.Emulator, people: int, started: float, finished: bool) -> dict[str, Any]:
    """Read the run back from the emulator: counters first (the reads below add calls), once
    calls still in flight when the last email went (a last group membership) have landed."""
    counters = settled_counters(emulator)
    _, mail = emulator.control.sent_mail()
    emulator.control.configure(latency_ms=0)
    accounts = listed_accounts(emulator)
    members = group_members(emulator, sorted({account(n).group for n in range(people)}))
    expected = {account(n).address: account(n).personal_email for n in range(people)}
    emails = Counter(address for message in mail for address in message["to"])
    lost = [a for a, personal in expected.items() if a not in accounts or emails[personal] == 0]
    extra = sorted(accounts - set(expected) - set(senders_for(people)) - {stack.ADMIN})
    floor = people / 10
    wall = max((m["sent_at"] for m in mail), default=started) - started
    by_method = {method: sum(statuses.values()) for method, statuses in sorted(counters.items())}
    refusals = {
        f"{method} {status}": count
        for method, statuses in sorted(counters.items())
        for status, count in statuses.items()
        if status in ("403", "429")
    }
    return {
        "finished": finished,
        "wall_seconds": round(wall, 2),
        "floor_seconds": floor,
        "wall_over_floor": round(wall / floor, 3),
        "quota_refusals": sum(refusals.values()),
        "refusals_by_method": refusals,
        "directory_calls_per_account": round(
            sum(c for m, c in by_method.items() if m.startswith("directory.")) / people, 3
        ),
        "gmail_calls_per_account": round(
            sum(c for m, c in by_method.items() if m.startswith("gmail.")) / people, 3
        ),
        "calls_per_account_by_method": {m: round(c / people, 3) for m, c in by_method.items()},
        "calls_by_method_and_status": counters,
        **create_phases(emulator, started, mail),
        "lost": len(lost),
        "lost_examples": lost[:5],
        "unexpected_accounts": len(extra),
        "second_emails": sum(1 for count in emails.values() if count > 1),
        "missing_memberships": sum(1 for n in range(people) if account(n).address not in members),
    }


def create_phases(emulator: stack.Emulator, started: float, mail: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the wall time went: the first and last ``users.insert`` Google counted (seconds
    from the first webhook), the rate between them, and the last email after the last insert."""
    creates = emulator.control.quota_events("user-creates")
    if len(creates) < 2 or not mail:
        return {}
    last_mail = max(m["sent_at"] for m in mail)
    return {
        "first_create_s": round(creates[0] - started, 2),
        "last_create_s": round(creates[-1] - started, 2),
        "creates_per_second_between": round((len(creates) - 1) / (creates[-1] - creates[0]), 3),
        "last_email_after_last_create_s": round(last_mail - creates[-1], 2),
        **create_gaps(creates),
    }


def create_gaps(creates: list[float], budget: float = 9.6) -> dict[str, Any]:
    """How much of the time between the first and last insert no insert was made when the
    budget allowed one: the seconds beyond ``1 / budget`` summed over every gap, and the
    longest gaps. Small and spread: pacing (refusals lowering the rate); large: the workers
    were not asking (no job ready, a thread pool or the database behind)."""
    gaps = [b - a for a, b in itertools.pairwise(creates)]
    spacing = 1 / budget
    return {
        "seconds_beyond_budget_spacing": round(sum(max(0.0, g - spacing) for g in gaps), 2),
        "seconds_in_gaps_over_300ms": round(sum(g for g in gaps if g > 0.3), 2),
        "longest_gaps_s": [round(g, 3) for g in sorted(gaps, reverse=True)[:5]],
    }


def _pages(request: Any, key: str) -> list[dict[str, Any]]:
    """Every item of a paged Directory list (waiting out the per-minute query quota, which a
    busy run may have used up)."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        try:
            page = request(token).execute()
        except HttpError as error:
            if error.resp.status != 403:
                raise
            time.sleep(5)
            continue
        items += page.get(key, [])
        token = page.get("nextPageToken")
        if not token:
            return items


def _directory(emulator: stack.Emulator) -> Any:
    return Clients.build(emulator.key_file, emulator.base, senders_for(1)[0]).directory


def settled_counters(emulator: stack.Emulator, quiet: float = 1.5, limit: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    before = emulator.control.counters()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = emulator.control.counters()
        if now["total"] == before["total"]:
            break
        before = now
    calls: dict[str, Any] = before["calls"]
    return calls


def listed_accounts(emulator: stack.Emulator) -> set[str]:
    users = _directory(emulator).users()
    listed = _pages(
        lambda token: users.list(customer="my_customer", maxResults=500, pageToken=token), "users"
    )
    return {user["primaryEmail"] for user in listed}


def group_members(emulator: stack.Emulator, groups: list[str]) -> set[str]:
    """Who is in any of the fichas' groups (each person belongs to exactly one)."""
    members = _directory(emulator).members()
    found: set[str] = set()
    for group in groups:
        listed = _pages(
            lambda token, g=group: members.list(groupKey=g, maxResults=200, pageToken=token), "members"
        )
        found |= {member["email"].lower() for member in listed}
    return found


def run_misena(workers: int, people: int, latency_ms: int, workdir: Path) -> dict[str, Any]:
    logs = workdir / f"misena-{workers}"
    logs.mkdir()
    with stack.emulator(workdir, latency_ms) as emulator, stack.private_database() as url:
        fresh_tenant(emulator, people)
        service = stack.Service(url, emulator, tuple(senders_for(people)), stack.new_secret())
        fleet = stack.Fleet(service, logs)
        try:
            fleet.start(workers)
            events = [enrollment(n) for n in range(people)]
            started = time.monotonic()
            statuses = stack.post_all(fleet.webhook_url, service.secret, events)
            intake = time.monotonic() - started
            finished = stack.wait_for(
                lambda: sends(emulator) >= people and delivered(emulator) >= people,
                stall_seconds=90,
                progress=lambda: sends(emulator),
            )
            result = outcome(emulator, people, started, finished)
        finally:
            fleet.stop()
    accepted = sum(1 for status in statuses if status == 202)
    return {"configuration": f"misena, {workers} worker process{'es' if workers > 1 else ''}",
            "workers": workers, "webhooks_accepted": accepted, "intake_seconds": round(intake, 2),
            **result}  # fmt: skip


def run_baseline(kind: str, people: int, latency_ms: int, workdir: Path, **limits: Any) -> dict[str, Any]:
    """``limits`` override the emulator's (Google's defaults otherwise)."""
    with stack.emulator(workdir, latency_ms, **limits) as emulator:
        fresh_tenant(emulator, people)
        accounts = [account(n) for n in range(people)]
        sender = senders_for(people)[0]
        started = time.monotonic()
        script = run_naive if kind == "naive" else run_gam_like
        done = script(accounts, emulator.key_file, emulator.base, sender)
        result = outcome(emulator, people, started, finished=True)
    name = "naive sequential script" if kind == "naive" else "GAM-like script, 5 threads + backoff"
    return {"configuration": name, "given_up": len(done.given_up), "retries": done.retries, **result}


# --- the command -------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| configuration | wall / floor | wall (s) | quota refusals | Directory calls / account "
        "| Gmail calls / account | lost | duplicated | without their group |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        duplicated = row["unexpected_accounts"] + row["second_emails"]
        lines.append(
            f"| {row['configuration']} | {row['wall_over_floor']:.2f} | {row['wall_seconds']} "
            f"| {row['quota_refusals']} | {row['directory_calls_per_account']:.2f} "
            f"| {row['gmail_calls_per_account']:.2f} | {row['lost']} | {duplicated} "
            f"| {row['missing_memberships']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4", help="worker processes per misena run, comma-separated")
    parser.add_argument("--baselines", default="naive,gam", help="comma-separated; empty for none")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="misena-bench-provisioning-") as tmp:
        workdir = Path(tmp)
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            print(f"misena with {workers} worker process(es)…", flush=True)
            rows.append(run_misena(workers, args.people, args.latency_ms, workdir))
            print(table(rows[-1:]), flush=True)
        for kind in [k.strip() for k in args.baselines.split(",") if k.strip()]:
            print(f"baseline {kind}…", flush=True)
            rows.append(run_baseline(kind, args.people, args.latency_ms, workdir))
            print(table(rows[-1:]), flush=True)
    command = (
        f"python -m bench.provisioning --people {args.people} --latency-ms {args.latency_ms} "
        f"--workers {args.workers} --baselines {args.baselines}"
    )
    path = stack.write_results(
        "provisioning",
        {"command": command, "people": args.people, "latency_ms": args.latency_ms,
         "targets": {"wall_over_floor": 1.05, "directory_calls_per_account": 2.0, "lost": 0},
         "runs": rows},
    )  # fmt: skip
    print(f"\n{table(rows)}\n\n{path}")


if __name__ == "__main__":
    main()
