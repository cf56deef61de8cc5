"""Typer apps whose help speaks Spanish to the last word.

Typer translates its panels through Python's gettext (:mod:`app.i18n` binds it), but the Click it
vendors writes some of its words as plain English: the ``Usage:`` line with its ``[OPTIONS]`` and
``COMMAND [ARGS]...``, and the ``--help`` option's "Show this message and exit.".
:class:`SpanishTyper` builds every group and command with the two classes here, which say them
through the CLI's catalogue. (Click's own usage errors — "No such option" — stay English.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from app.i18n import cli_gettext as _


def _usage(command: Any, ctx: Any, formatter: Any) -> None:
    pieces = command.collect_usage_pieces(ctx)
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))


def _help(option: Any) -> Any:
    if option is not None:
        option.help = _("Show this message and exit.")
    return option


class SpanishCommand(TyperCommand):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _usage(self, ctx, formatter)

    def get_help_option(self, ctx: Any) -> Any:
        return _help(super().get_help_option(ctx))


class SpanishGroup(TyperGroup):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _usage(self, ctx, formatter)

    def get_help_option(self, ctx: Any) -> Any:
        return _help(super().get_help_option(ctx))


class SpanishTyper(typer.Typer):
    """A :class:`typer.Typer` whose groups and commands are the Spanish ones above."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", SpanishGroup)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("options_metavar", _("[OPTIONS]"))
        kwargs.setdefault("subcommand_metavar", _("COMMAND [ARGS]..."))
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", SpanishCommand)
        return super().command(*args, **kwargs)
