"""The ``misena`` command: one module per command group, shared rendering and plumbing.

Importing the package first binds Python's gettext to the CLI's Spanish catalogue, before any
module imports Typer, so Click's and Typer's own words are Spanish too (:mod:`app.i18n`).
"""

from app.i18n import install_cli_language

install_cli_language()
