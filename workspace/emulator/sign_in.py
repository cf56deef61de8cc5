"""A person signing in to their Google account for the first (or a later) time.

Google sets what an admin can see of it on the user: ``lastLoginTime`` moves from
``1970-01-01T00:00:00.000Z`` to the moment of the sign-in, ``agreedToTerms`` turns true (the
terms are accepted at the first sign-in) and ``changePasswordAtNextLogin`` clears once the
temporary password has been replaced. Tests drive it from the control plane, so a tracker of
first sign-ins can be proved against the same fields it reads from Google.
"""

from __future__ import annotations

from datetime import datetime

from workspace.emulator import directory_users as users
from workspace.emulator.errors import GoogleApiError
from workspace.emulator.state import EmulatorState, rfc3339

REFUSED_CREDENTIALS = "Correo o contraseña incorrectos."
SUSPENDED = "Esta cuenta está suspendida."


def sign_in(state: EmulatorState, address: str, password: str, new_password: str | None) -> dict[str, str]:
    """Check ``password`` as the Directory stores it (maybe hashed), then record the sign-in.

    ``new_password``, when given, is the one the person chose on the forced-change page; it
    replaces the temporary one as Google's page does. A wrong password or a suspended user is
    refused (401, 403) and changes nothing.
    """
    user_id = state.lookup_user_id(address)
    if user_id is None or not users.check_password(state, address, password):
        raise GoogleApiError(401, "authError", REFUSED_CREDENTIALS)
    stored = state.users[user_id]
    if stored.resource.get("suspended"):
        raise GoogleApiError(403, "userSuspended", SUSPENDED)
    moment: datetime = state.wall_now()
    stored.resource["lastLoginTime"] = rfc3339(moment)
    stored.resource["agreedToTerms"] = True
    stored.resource["changePasswordAtNextLogin"] = False
    if new_password is not None:
        stored.password = new_password
        stored.hash_function = None
    state.users_changed()
    return {
        "primaryEmail": stored.resource["primaryEmail"],
        "lastLoginTime": stored.resource["lastLoginTime"],
    }
