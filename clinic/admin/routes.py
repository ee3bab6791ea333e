import itertools

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.admin import services
from clinic.admin.forms import (
    AuditFilterForm,
    ConfirmForm,
    EditStaffForm,
    NewStaffForm,
    SettingsForm,
)
from clinic.audit import services as audit
from clinic.auth import two_factor
from clinic.auth.models import User
from clinic.extensions import db
from clinic.permissions import requires
from clinic.spreadsheets import csv_response
from clinic.validation import ValidationError, apply_to_form, whole_number

bp = Blueprint("admin", __name__)


def _details(form) -> services.StaffDetails:
    return services.StaffDetails(
        name=form.name.data,
        email=form.email.data,
        role=form.role.data,
        registration_number=form.registration_number.data,
    )


@bp.get("/staff")
@requires("staff.manage")
def staff_list():
    return render_template(
        "admin/staff_list.html", staff=services.list_staff()
    )


@bp.route("/staff/new", methods=["GET", "POST"])
@requires("staff.manage")
def staff_new():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            user = services.create_staff(_details(form), form.password.data)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"{user.name} can now sign in as {user.role_label.lower()}.")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff_form.html", form=form, user=None)


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@requires("staff.manage")
def staff_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditStaffForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_staff(user, _details(form), form.password.data or None)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Saved {user.name}.")
            return redirect(url_for("admin.staff_list"))
    return render_template(
        "admin/staff_form.html", form=form, user=user
    )


@bp.post("/staff/<int:user_id>/deactivate")
@requires("staff.manage")
def staff_deactivate(user_id: int):
    return _set_active(user_id, active=False)


@bp.post("/staff/<int:user_id>/reactivate")
@requires("staff.manage")
def staff_reactivate(user_id: int):
    return _set_active(user_id, active=True)


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.set_active(user, active, current_user)
        except ValidationError as error:
            flash(error.errors[""], "error")
        else:
            state = "can sign in again" if active else "is deactivated and signed out everywhere"
            flash(f"{user.name} {state}.")
    return redirect(url_for("admin.staff_list"))


@bp.post("/staff/<int:user_id>/two-factor/reset")
@requires("staff.manage")
def staff_reset_two_factor(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            two_factor.reset(user)
        except ValidationError as error:
            flash(error.errors[""], "error")
        else:
            flash(f"{user.name}'s authenticator is removed. They can sign in with their "
                  "password and set up a new one.")
    return redirect(url_for("admin.staff_edit", user_id=user.id))


@bp.route("/settings", methods=["GET", "POST"])
@requires("settings.manage")
def settings():
    current = services.get_settings()
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        upload = form.logo_upload.data
        try:
            services.update_settings(
                form.values(),
                logo_upload=upload.read() if upload else None,
                remove_logo=form.remove_logo.data,
            )
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash("Clinic settings saved.")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, settings=current)


def _audit_filters() -> tuple[AuditFilterForm, audit.AuditFilter]:
    """The filters in the query string; ones that do not parse are shown as errors and ignored."""
    form = AuditFilterForm(request.args).with_choices(services.list_staff(), audit.actions())
    return form, form.filters() if form.validate() else audit.AuditFilter()


@bp.get("/audit")
@requires("audit.read")
def audit_log():
    form, filters = _audit_filters()
    rows, next_before = audit.page(filters, request.args.get("before", type=whole_number))
    older_args = {**request.args.to_dict(), "before": next_before} if next_before else None
    return render_template(
        "admin/audit.html", form=form, rows=rows, older_args=older_args,
        export_args=request.args.to_dict(),
    )


@bp.get("/audit.csv")
@requires("audit.read")
def audit_export():
    _, filters = _audit_filters()
    try:
        events = audit.export(filters)
    except audit.TooLongToExport as error:
        flash(f"These are {error.events:,} events, and one download holds "
              f"{audit.EXPORT_LIMIT:,} at most. Choose fewer days, or have the whole log "
              "written to files on the server (flask --app wsgi export clinic).", "error")
        return redirect(url_for("admin.audit_log", **request.args))
    header = ["id", "occurred_at_utc", "actor", "action", "object_type", "object_id",
              "client_id", "client", "ip", "detail"]
    rows = (
        [row.id, row.occurred_at.isoformat(), row.actor, row.action, row.object_type,
         row.object_id, row.client_id or "", row.client, row.ip, row.detail]
        for row in events
    )
    return csv_response("audit-log.csv", itertools.chain([header], rows))
