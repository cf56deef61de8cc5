"""``misena doctor``: a preflight of Google and of the local set-up, each check with what to fix.

The checks live beside what they look at — Google's side in :mod:`app.doctor.google_checks`
(through :mod:`workspace.preflight`), this machine's in :mod:`app.doctor.local_checks` — and
:func:`app.doctor.run.run_doctor` runs them all; the CLI prints the report
(:mod:`app.doctor.report`).
"""
