from datetime import date

from flask import Blueprint, abort, jsonify, render_template
from flask_login import current_user

from clinic.admin import services as admin_services
from clinic.auth.models import Role
from clinic.home import services
from clinic.invoices import services as invoice_services
from clinic.paging import LATEST
from clinic.permissions import public, requires
from clinic.visits import services as visit_services

bp = Blueprint("home", __name__)

HOME_TEMPLATES = {
    Role.ADMIN: "home/admin.html",
    Role.THERAPIST: "home/therapist.html",
    Role.RECEPTION: "home/reception.html",
}


@bp.get("/")
@requires("home")
def index():
    role = Role(current_user.role)
    context = {"today": date.today()}
    if role == Role.ADMIN:
        context["staff_counts"] = admin_services.staff_counts()
        context["settings"] = admin_services.get_settings()
    elif role == Role.THERAPIST:
        context["visits"] = visit_services.therapist_day(current_user.id, context["today"])
        context["to_sign"] = visit_services.notes_to_sign(current_user.id, per_page=LATEST)
    else:
        context["arrivals"] = visit_services.arrivals(context["today"])
        context["unpaid"] = invoice_services.unpaid_invoices(invoice_services.UNPAID_ON_HOME).rows
    return render_template(HOME_TEMPLATES[role], **context)


@bp.get("/healthz")
@public
def healthz():
    database_ok = services.database_is_reachable()
    body = {"status": "ok" if database_ok else "error",
            "database": "ok" if database_ok else "unavailable"}
    return jsonify(body), 200 if database_ok else 503


@bp.get("/clinic-logo")
@public
def logo():
    image = services.logo()
    if image is None:
        abort(404)
    data, mime = image
    return data, 200, {"Content-Type": mime}
