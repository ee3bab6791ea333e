"""The menu: each role sees only the places its permissions open; and links to records."""

from dataclasses import dataclass
from functools import partial

from flask import Flask, has_request_context, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from clinic.admin.models import DEFAULTS
from clinic.admin.services import get_settings
from clinic.extensions import db
from clinic.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str


MENU = [
    NavItem("Home", "home.index", "home"),
    NavItem("Clients", "clients.index", "clients.manage"),
    NavItem("Schedule", "visits.schedule", "visits.read"),
    NavItem("Note templates", "visits.templates", "notes.templates"),
    NavItem("Invoices", "invoices.index", "invoices.read"),
    NavItem("Close-out", "invoices.day_report", "reports.day"),
    NavItem("Revenue", "invoices.revenue", "reports.revenue"),
    NavItem("Services", "invoices.service_list", "services.manage"),
    NavItem("Techniques", "aftercare.library", "techniques.read"),
    NavItem("Staff", "admin.staff_list", "staff.manage"),
    NavItem("Clinic settings", "admin.settings", "settings.manage"),
    NavItem("Audit log", "admin.audit_log", "audit.read"),
    NavItem("Password", "auth.change_password", "account"),
    NavItem("Two-factor", "auth.two_factor", "account"),
]


def _clinic_name() -> str:
    # An error page must still render when the database is what failed.
    try:
        return get_settings().name
    except SQLAlchemyError:
        db.session.rollback()
        return DEFAULTS["name"]


def _layout_context() -> dict:
    # Templates rendered outside a request (demo seed, PDFs from the command line) have no menu.
    if not has_request_context() or request.endpoint == "static":
        return {}
    # The user once, not through the proxy at every check: a page asks a score of them.
    user = current_user._get_current_object()
    return {
        "nav_items": [item for item in MENU if can(user, item.permission)],
        "clinic_name": _clinic_name(),
        "can": partial(can, user),
    }


def record_path(endpoint: str, id_name: str) -> str:
    """The path of a record's page up to its id ("/visits/" for visits.show), to which a list
    adds each row's id: one url_for a list rather than one a row, which a long list felt."""
    path = url_for(endpoint, **{id_name: 0})
    if not path.endswith("/0"):
        raise ValueError(f"{endpoint}'s path does not end with its {id_name}")
    return path[:-1]


def init_app(app: Flask) -> None:
    app.context_processor(_layout_context)
    app.add_template_global(record_path)
