"""Roles and the checks views use. Which role may do what is decided here and in each module's `can_*`."""

from __future__ import annotations

from functools import wraps

from flask_babel import lazy_gettext as _l

from eoffice.core.errors import Forbidden

ADMIN, CLERK, LEADER, SPECIALIST = "admin", "clerk", "leader", "specialist"
ROLES = (ADMIN, CLERK, LEADER, SPECIALIST)
ROLE_LABELS = {
    ADMIN: _l("Administrator"),
    CLERK: _l("Clerk"),
    LEADER: _l("Leader"),
    SPECIALIST: _l("Specialist"),
}


def require_roles(*roles: str):
    """Refuse the view with 403 unless the current actor holds one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from eoffice.core.tenancy import current_actor

            if not current_actor().has_any_role(*roles):
                raise Forbidden(_l("You do not have the role this action needs."))
            return view(*args, **kwargs)

        return wrapper

    return decorator
