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
    "clients.manage": ALL_STAFF,
    # The client's whole record as files: who reads notes may take it (a therapist gets the
    # invoices they may read). Erasing it after its retention period: the admin alone.
    "clients.export": frozenset({Role.ADMIN, Role.THERAPIST}),
    "clients.delete": frozenset({Role.ADMIN}),
    # Health answers and precautions; reception sees only that precautions exist.
    "intake.read": frozenset({Role.ADMIN, Role.THERAPIST}),
    "intake.write": frozenset({Role.ADMIN, Role.THERAPIST}),
    # Therapists book and change only their own visits (checked in visits.services).
    "visits.read": ALL_STAFF,
    "visits.manage": ALL_STAFF,
    # Notes: admins read, therapists read all and write their own; reception never.
    "notes.read": frozenset({Role.ADMIN, Role.THERAPIST}),
    "notes.write": frozenset({Role.THERAPIST}),
    "notes.templates": frozenset({Role.ADMIN}),
    # Invoices: the front desk and admin; a therapist reads those of their own clients
    # (checked in invoices.services). Revenue and balances across the clinic: admin.
    "invoices.read": ALL_STAFF,
    "invoices.manage": frozenset({Role.ADMIN, Role.RECEPTION}),
    "services.manage": frozenset({Role.ADMIN}),
    "reports.day": frozenset({Role.ADMIN, Role.RECEPTION}),
    "reports.revenue": frozenset({Role.ADMIN}),
    # The home-care technique library: therapists consult it, the admin keeps it.
    "techniques.read": frozenset({Role.ADMIN, Role.THERAPIST}),
    "techniques.manage": frozenset({Role.ADMIN}),
    # Handouts: built by the visit's therapist or the admin (checked in aftercare.handouts);
    # anyone on staff may print, email again or make a download link for one that exists.
    "handouts.build": frozenset({Role.ADMIN, Role.THERAPIST}),
    "handouts.deliver": ALL_STAFF,
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
