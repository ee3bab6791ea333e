from flask import Blueprint

bp = Blueprint("visits", __name__)

from clinic.visits import routes  # noqa: E402,F401  (routes attach themselves to bp)
