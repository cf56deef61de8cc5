"""No service reads the system time: every wall-clock decision goes through the one clock
:func:`app.runtime.services.build_services` hands out (:mod:`app.clock`), so a test that
freezes or moves that clock moves it for every part at once.

Walks app/'s source: a call of ``datetime.now``/``utcnow``/``today``, ``date.today``,
``time.time``, or a use of ``app.db.types.utcnow`` outside the few modules allowed is a
second clock. Monotonic timers (``time.monotonic``, ``perf_counter``) measure durations, not
the time of day, and are allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
#: Where reading the machine's time is the point.
ALLOWED = {
    "clock.py": "the system clock itself",
    "db/types.py": "utcnow, the column defaults' backstop",
    "db/models.py": "column defaults (a backstop, not a decision)",
    "demo/environment.py": "signs demo webhooks as Sofia Plus would, from outside misena",
}
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
              ("time", "time"), ("time", "time_ns")}  # fmt: skip


def second_clocks(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in WALL_CLOCK:
                found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "utcnow":
            found.append(f"line {node.lineno}: utcnow")
        elif isinstance(node, ast.ImportFrom) and any(alias.name == "utcnow" for alias in node.names):
            found.append(f"line {node.lineno}: imports utcnow")
    return found


def test_no_module_of_app_reads_the_system_time_but_the_clock() -> None:
    modules = [p for p in APP.rglob("*.py") if "migrations" not in p.parts]
    assert len(modules) > 40
    offenders = {
        str(path.relative_to(APP)): found
        for path in modules
        if str(path.relative_to(APP)) not in ALLOWED and (found := second_clocks(path.read_text("utf-8")))
    }
    assert offenders == {}


def test_the_walk_finds_each_kind_of_second_clock() -> None:
    """The check itself: each way of reading the time is caught (and a monotonic timer is not)."""
    source = (
        "import time\nfrom datetime import UTC, date, datetime\nfrom app.db.types import utcnow\n"
        "a = datetime.now(UTC)\nb = date.today()\nc = time.time()\nd = utcnow()\ne = time.monotonic()\n"
    )
    assert second_clocks(source) == [
        "line 3: imports utcnow",
        "line 4: datetime.now",
        "line 5: date.today",
        "line 6: time.time",
        "line 7: utcnow",
    ]
