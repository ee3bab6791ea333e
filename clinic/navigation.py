"""The menu: each role sees only the places its permissions open."""

from dataclasses import dataclass

from flask import Flask, request
from flask_login import current_user

from clinic.admin.services import get_settings
from clinic.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str


MENU = [
    NavItem("Home", "home.index", "home"),
    NavItem("Staff", "admin.staff_list", "staff.manage"),
    NavItem("Clinic settings", "admin.settings", "settings.manage"),
    NavItem("Password", "auth.change_password", "account"),
]


def _layout_context() -> dict:
    if request.endpoint == "static":
        return {}
    items = [item for item in MENU if can(current_user, item.permission)]
    return {
        "nav_items": items,
        "clinic_name": get_settings().name,
        "can": lambda permission: can(current_user, permission),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_layout_context)
