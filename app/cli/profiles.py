"""Where the staff commands find the service: named profiles (URL + API token) in a per-user
config file, like ``gh``'s hosts or ``kubectl``'s contexts.

The file is ``$MISENA_CONFIG``, else ``$XDG_CONFIG_HOME/misena/config.toml``, else
``~/.config/misena/config.toml``; it holds secrets, so it is written with mode 0600 (through a
temporary file renamed over it, so a crash never leaves half a file)::

    default = "demo"

    [profiles.demo]
    url = "http://127.0.0.1:8000"
    token = "msn_..."

``MISENA_URL``, ``MISENA_TOKEN`` and ``MISENA_PROFILE`` override the file, so a script or a CI
job needs no file at all. Reading uses :mod:`tomllib`; writing, the small ``tomli-w``.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from app.cli.plumbing import CliError, ExitCode
from app.i18n import cli_gettext as _

DEMO_PROFILE = "demo"


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    token: str
    #: The demo also records its Google emulator, so ``misena demo show`` can read the account.
    emulator_url: str | None = None

    def masked_token(self) -> str:
        return mask(self.token)


def mask(token: str) -> str:
    """A token as a list may show it: its kind and last four characters, never the secret."""
    return f"msn_…{token[-4:]}" if len(token) > 12 else "…"


@dataclass
class ProfileBook:
    """The config file's contents: profiles by name and the default one."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    default: str | None = None


def config_path() -> Path:
    explicit = os.environ.get("MISENA_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "misena" / "config.toml"


def load_book(path: Path | None = None) -> ProfileBook:
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return ProfileBook()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise CliError(
            ExitCode.USAGE,
            _("cannot read the profiles file {path}: fix or delete it, then run `misena login`").format(
                path=path
            ),
        ) from None
    profiles: dict[str, Profile] = {}
    raw = data.get("profiles")
    for name, values in (raw if isinstance(raw, dict) else {}).items():
        if (
            isinstance(values, dict)
            and isinstance(values.get("url"), str)
            and isinstance(values.get("token"), str)
        ):
            emulator = values.get("emulator_url")
            profiles[name] = Profile(
                name, values["url"], values["token"], emulator if isinstance(emulator, str) else None
            )
    default = data.get("default")
    return ProfileBook(profiles, default if isinstance(default, str) and default in profiles else None)


def save_book(book: ProfileBook, path: Path | None = None) -> Path:
    """Write the file (0600, atomically); its directory is made 0700 if missing."""
    path = path or config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if book.default is not None:
        data["default"] = book.default
    data["profiles"] = {
        p.name: {
            "url": p.url,
            "token": p.token,
            **({"emulator_url": p.emulator_url} if p.emulator_url else {}),
        }
        for p in book.profiles.values()
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as out:
            tomli_w.dump(data, out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def store_profile(profile: Profile, *, make_default: bool = False, path: Path | None = None) -> Path:
    """Add or replace ``profile``; it becomes the default when asked or when there is none."""
    book = load_book(path)
    book.profiles[profile.name] = profile
    if make_default or book.default is None:
        book.default = profile.name
    return save_book(book, path)


def remove_profile(name: str, path: Path | None = None) -> bool:
    book = load_book(path)
    if book.profiles.pop(name, None) is None:
        return False
    if book.default == name:
        book.default = next(iter(book.profiles), None)
    save_book(book, path)
    return True


def chosen_name(option: str | None) -> str | None:
    """The profile asked for: ``--profile``, else ``MISENA_PROFILE``, else none (the default)."""
    return option or os.environ.get("MISENA_PROFILE") or None


def resolve(option: str | None) -> Profile:
    """The profile the staff commands talk through, ``MISENA_URL``/``MISENA_TOKEN`` applied.

    Fails (exit 7, one Spanish line saying what to run) when nothing says where the service
    is or which token to use."""
    url_override = os.environ.get("MISENA_URL") or None
    token_override = os.environ.get("MISENA_TOKEN") or None
    name = chosen_name(option)
    book = load_book()
    if name is not None and name not in book.profiles and not (url_override and token_override):
        raise CliError(
            ExitCode.NOT_CONNECTED,
            _("there is no profile «{name}» in {path}: run `misena login --profile {name} ...`").format(
                name=name, path=config_path()
            ),
        )
    base = book.profiles.get(name or book.default or "")
    url = url_override or (base.url if base else None)
    token = token_override or (base.token if base else None)
    if url is None or token is None:
        raise CliError(
            ExitCode.NOT_CONNECTED,
            _(
                "not logged in: run `misena login --url URL --token TOKEN` "
                "(or `make run` for the demo), or set MISENA_URL and MISENA_TOKEN"
            ),
        )
    return Profile(
        base.name if base else (name or "env"), url.rstrip("/"), token, base.emulator_url if base else None
    )
