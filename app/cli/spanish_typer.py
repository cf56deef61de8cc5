"""Typer apps whose help speaks Spanish to the last word.

Typer translates its panels through Python's gettext (:mod:`app.i18n` binds it), but the Click it
vendors writes some of its words as plain English: the ``Usage:`` line with its ``[OPTIONS]`` and
``COMMAND [ARGS]...``, the ``--help`` option's "Show this message and exit.", and the help of
the shell-completion options.
:class:`SpanishTyper` builds every group and command with the two classes here, which say them
through the CLI's catalogue; :func:`usage_message` says Click's commonest usage errors (an
unknown option, a missing one, an invalid value) the same way, from the error's own fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

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


def _completion_help() -> dict[str, str]:
    """Typer's shell-completion options (root group only), worded through the catalogue."""
    return {
        "install_completion": _("Install shell completion for the current shell (bash, zsh, fish)."),
        "show_completion": _("Print the shell completion script, to copy it or install it by hand."),
    }


class SpanishGroup(TyperGroup):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _usage(self, ctx, formatter)

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)
        helps = _completion_help()
        for param in params:
            if isinstance(param, TyperOption) and param.name in helps:
                param.help = helps[param.name]
        return params

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


def _hint(exc: Any) -> str:
    """The option or argument a usage error is about, as Click names it."""
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(part) for part in hint)
    return str(hint or "")


def usage_message(exc: typer.TyperException) -> str:
    """Click's usage error in Spanish where its kind is known; its own words otherwise (a
    value's detail comes from the type that refused it)."""
    kind = type(exc).__name__
    if kind == "NoSuchOption":
        text = _("there is no option {name}").format(name=getattr(exc, "option_name", ""))
        options = sorted(getattr(exc, "possibilities", None) or [])
        return text + (
            " " + _("(did you mean {options}?)").format(options=", ".join(options)) if options else ""
        )
    if kind == "MissingParameter" and _hint(exc):
        return _("{name} is required").format(name=_hint(exc))
    if kind == "BadParameter" and _hint(exc):
        return _("invalid value for {name}: {detail}").format(name=_hint(exc), detail=exc.message)
    return exc.format_message()
