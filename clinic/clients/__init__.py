from flask import Blueprint

bp = Blueprint("clients", __name__)

from clinic.clients import routes  # noqa: E402,F401  (routes attach themselves to bp)
