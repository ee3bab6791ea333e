from flask import Blueprint

bp = Blueprint("admin", __name__)

from clinic.admin import routes  # noqa: E402,F401  (routes attach themselves to bp)
