"""Who may do what: every rule of the app in one table, applied to every request.

A view declares the permission it needs with @requires(...) or @public. A view that
declares nothing is refused for everyone, so a forgotten rule fails closed.
"""

from collections.abc import Callable

from flask import abort, current_app, request
from flask_login import current_user

from clinic.auth.models import Role
from clinic.extensions import login_manager

ALL_STAFF = frozenset(Role)

RULES: dict[str, frozenset[Role]] = {
    "home": ALL_STAFF,
    "account": ALL_STAFF,
    "staff.manage": frozenset({Role.ADMIN}),
    "settings.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN}),
}

PUBLIC = "public"


def requires(permission: str) -> Callable:
    if permission not in RULES:
        raise KeyError(f"unknown permission {permission!r}")

    def mark(view: Callable) -> Callable:
        view.permission = permission
        return view

    return mark


def public(view: Callable) -> Callable:
    view.permission = PUBLIC
    return view


def can(user, permission: str) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and Role(user.role) in RULES[permission]
    )


def enforce() -> None:
    """Run before every request: refuse it unless the view's permission admits the user."""
    if request.endpoint is None or request.endpoint == "static":
        return
    view = current_app.view_functions[request.endpoint]
    permission = getattr(view, "permission", None)
    if permission == PUBLIC:
        return
    if permission is None:
        current_app.logger.error("view %s declares no permission; refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(current_user, permission):
        abort(403)
