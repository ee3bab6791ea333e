from datetime import date

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from clinic import downloads, mail
from clinic.admin.forms import ConfirmForm
from clinic.clients import export as client_export
from clinic.clients import retention, services
from clinic.clients.forms import (
    BirthDateForm,
    ClientForm,
    ConsentForm,
    DeleteClientForm,
    IntakeForm,
    SendLinkForm,
    intake_form_data,
)
from clinic.clients.models import (
    CONDITIONS,
    HEADACHE_FREQUENCIES,
    HEADACHE_KINDS,
    HEALTH_QUESTIONS,
    PRESSURES,
)
from clinic.clients.page import client_page
from clinic.clients.precautions import precautions
from clinic.paging import page_number
from clinic.permissions import public, requires
from clinic.records import StaleEdit
from clinic.validation import ValidationError, apply_to_form, unsaved_entries

bp = Blueprint("clients", __name__)

# ---- staff: clients ----


@bp.get("/clients")
@requires("clients.manage")
def index():
    query = request.args.get("q", "")[:100]
    archived = request.args.get("archived") == "1"
    clients = services.search(query, page_number(request.args.get("page")), archived)
    return render_template("clients/list.html", clients=clients, q=query, archived=archived)


@bp.route("/clients/new", methods=["GET", "POST"])
@requires("clients.manage")
def new():
    form = ClientForm()
    duplicates = []
    if form.validate_on_submit():
        try:
            client = services.create_client(
                form.details(), duplicates_checked=form.not_duplicate.data
            )
        except services.PossibleDuplicates as found:
            duplicates = found.clients
            form.form_errors.append(found.errors[""])
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"{client.name} is added.")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/form.html", form=form, client=None, duplicates=duplicates)


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@requires("clients.manage")
def edit(client_id: int):
    client = services.get_client(client_id)
    form = ClientForm(obj=client)
    unsaved, status = [], 200
    if form.validate_on_submit():
        try:
            services.update_client(client, form.details(), form.version.data)
        except StaleEdit as error:
            typed, form = form, ClientForm(formdata=None, obj=client)
            unsaved, status = unsaved_entries(typed, form), 409
            form.form_errors.append(error.errors[""])
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Saved {client.name}.")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/form.html", form=form, client=client, duplicates=[],
                           unsaved=unsaved), status


@bp.get("/clients/<int:client_id>")
@requires("clients.manage")
def show(client_id: int):
    page = client_page(client_id, current_user, date.today())
    return render_template(
        "clients/show.html", **vars(page), email_link=mail.is_configured())


@bp.post("/clients/<int:client_id>/archive")
@requires("clients.manage")
def archive(client_id: int):
    return _set_archived(client_id, archived=True)


@bp.post("/clients/<int:client_id>/restore")
@requires("clients.manage")
def restore(client_id: int):
    return _set_archived(client_id, archived=False)


def _set_archived(client_id: int, archived: bool):
    client = services.get_client(client_id)
    if ConfirmForm().validate_on_submit():
        services.set_archived(client, archived)
        flash(f"{client.name} is {'archived' if archived else 'restored'}.")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.get("/clients/<int:client_id>/export")
@requires("clients.export")
def export(client_id: int):
    client = services.get_client(client_id)
    try:
        archive, file_name = client_export.export_archive(client, current_user, date.today())
    except ValidationError as error:
        flash(error.errors[""], "error")
        return redirect(url_for("clients.show", client_id=client.id))
    return downloads.attachment(archive, "application/zip", file_name)


@bp.route("/clients/<int:client_id>/delete", methods=["GET", "POST"])
@requires("clients.delete")
def delete(client_id: int):
    client = services.get_client(client_id)
    form = DeleteClientForm()
    if form.validate_on_submit():
        name = client.name
        try:
            retention.erase(client, form.confirm_name.data or "", date.today())
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"The records of {name} are erased.")
            return redirect(url_for("clients.index"))
    return render_template("clients/delete.html", form=form, client=client,
                           kept_until=retention.retention_ends(client))


# ---- staff: intakes ----


@bp.get("/clients/<int:client_id>/intakes/<int:version>")
@requires("intake.read")
def intake(client_id: int, version: int):
    client = services.get_client(client_id)
    shown, previous, is_current = services.intake_version(client.id, version)
    services.record_health_view(client, shown, "intake")
    return render_template(
        "clients/intake.html",
        client=client,
        intake=shown,
        is_current=is_current,
        changes=services.changes(previous, shown) if previous else [],
        precautions=precautions(shown, date.today()),
        sections=(("Conditions", CONDITIONS), ("Health and safety", HEALTH_QUESTIONS)),
        pressures=PRESSURES,
        headache_kinds=HEADACHE_KINDS,
        headache_frequencies=HEADACHE_FREQUENCIES,
    )


@bp.get("/clients/<int:client_id>/intakes")
@requires("intake.read")
def intakes(client_id: int):
    client = services.get_client(client_id)
    versions = services.intake_versions(client.id, page_number(request.args.get("page")))
    return render_template("clients/related.html", client=client, listing=versions,
                           noun="intake versions")


def _intake_form_page(form: IntakeForm, client, consent_body: str, action: str,
                      self_service: bool = False):
    return render_template(
        "clients/intake_form.html", form=form, client=client, consent=consent_body,
        action=action, self_service=self_service, conditions=CONDITIONS,
        health_questions=HEALTH_QUESTIONS, today=date.today(),
    )


@bp.route("/clients/<int:client_id>/intakes/new", methods=["GET", "POST"])
@requires("intake.write")
def intake_new(client_id: int):
    client = services.get_client(client_id)
    consent_version, consent_body = services.current_consent()
    current = services.current_intake(client.id)
    form = IntakeForm(data=intake_form_data(client, current, consent_version))
    if request.method == "GET" and current:
        services.record_health_view(client, current, "desk form")
    if form.validate_on_submit():
        try:
            services.submit_at_desk(client, form.answers(), current_user.id)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"The intake for {client.name} is saved.")
            return redirect(url_for("clients.show", client_id=client.id))
    return _intake_form_page(
        form, client, consent_body, url_for("clients.intake_new", client_id=client.id)
    )


@bp.post("/clients/<int:client_id>/intake-links")
@requires("clients.manage")
def link_new(client_id: int):
    client = services.get_client(client_id)
    form = SendLinkForm()
    if not form.validate_on_submit():
        return redirect(url_for("clients.show", client_id=client.id))
    try:
        link, token = services.create_link(client, current_user.id)
    except ValidationError as error:
        flash(error.errors[""], "error")
        return redirect(url_for("clients.show", client_id=client.id))
    url = url_for("clients.public_intake", token=token, _external=True)
    emailed, email_error = False, None
    if form.email_it.data and client.email:
        try:
            mail.send(client.email, "Your health form before your visit",
                      render_template("clients/link_email.txt", client=client, url=url,
                                      expires=link.expires_at))
        except mail.MailError:
            email_error = "The email could not be sent. The link works: copy it or show the code."
        else:
            services.note_emailed(link, client.email)
            emailed = True
    # The token exists only in this response; the database keeps its hash.
    return render_template(
        "clients/link_created.html", client=client, link=link, url=url, emailed=emailed,
        email_error=email_error,
        qr=segno.make(url, error="m").svg_data_uri(scale=5, border=2),
    )


@bp.post("/clients/<int:client_id>/intake-links/<int:link_id>/revoke")
@requires("clients.manage")
def link_revoke(client_id: int, link_id: int):
    client = services.get_client(client_id)
    if ConfirmForm().validate_on_submit():
        services.revoke_link(client, link_id)
        flash("The intake link no longer works.")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/clients/consent", methods=["GET", "POST"])
@requires("settings.manage")
def consent():
    version, body = services.current_consent()
    form = ConsentForm(data={"body": body})
    if form.validate_on_submit():
        try:
            saved = services.update_consent(form.body.data, current_user.id)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Consent wording saved as version {saved}.")
            return redirect(url_for("clients.consent"))
    return render_template("clients/consent.html", form=form, version=version)


# ---- clients, through a self-service link: no account, no JavaScript ----

@bp.errorhandler(services.LinkRefused)
def _refused(refused: services.LinkRefused):
    """Nothing was saved; the client is told why, in words they can act on."""
    status = {"unknown": 404, "paused": 429}.get(refused.reason, 410)
    message = services.REFUSALS[refused.reason]
    return render_template("clients/public_refused.html", message=message), status


@bp.route("/intake/<token>", methods=["GET", "POST"])
@public
def public_intake(token: str):
    link = services.find_link(token)
    if session.get("intake_link") == link.id:
        return redirect(url_for("clients.public_form", token=token))
    form = BirthDateForm()
    if form.validate_on_submit():
        if services.confirm_birth_date(link, form.date_of_birth.data):
            session["intake_link"] = link.id
            return redirect(url_for("clients.public_form", token=token))
        form.date_of_birth.errors.append("That date of birth does not match our records.")
    return render_template("clients/public_confirm.html", form=form)


@bp.route("/intake/<token>/form", methods=["GET", "POST"])
@public
def public_form(token: str):
    link = services.find_link(token)
    if session.get("intake_link") != link.id:
        return redirect(url_for("clients.public_intake", token=token))
    client = services.get_client(link.client_id)
    consent_version, consent_body = services.current_consent()
    form = IntakeForm(data=intake_form_data(client, None, consent_version))
    if form.validate_on_submit():
        try:
            services.submit_through_link(token, form.answers())
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            session.pop("intake_link", None)
            return redirect(url_for("clients.public_done"))
    return _intake_form_page(
        form, client, consent_body, url_for("clients.public_form", token=token),
        self_service=True,
    )


@bp.get("/intake/thanks")
@public
def public_done():
    return render_template("clients/public_done.html")
