from flask import Blueprint

bp = Blueprint("invoices", __name__)

from clinic.invoices import routes  # noqa: E402,F401  (routes attach themselves to bp)
