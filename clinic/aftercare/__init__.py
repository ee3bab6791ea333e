from flask import Blueprint

bp = Blueprint("aftercare", __name__)

from clinic.aftercare import routes  # noqa: E402,F401  (routes attach themselves to bp)
