"""Finding a private value in captured logs without mistaking an id for it.

Request ids and webhook ids are hex, and a request id ends in a zero-padded counter, so a
low-entropy test document such as ``10000000`` turns up inside one about once in sixteen runs
(seen in CI). A leak of a document, an address or a secret is never glued to hex characters:
it stands after ``:``, a quote, a space or a dash. So a value counts as logged only where no
hex character touches it on either side."""

from __future__ import annotations

import re

_HEX = "0-9a-fA-F"


def lines_naming(logged: str, private: str) -> list[str]:
    """The log lines where ``private`` appears as itself, not as part of a longer hex run."""
    pattern = re.compile(rf"(?<![{_HEX}]){re.escape(private)}(?![{_HEX}])")
    return [line for line in logged.splitlines() if pattern.search(line)]
