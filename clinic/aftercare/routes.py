from datetime import date

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic import mail
from clinic.admin.forms import ConfirmForm
from clinic.admin.services import get_settings
from clinic.aftercare import handouts, services
from clinic.aftercare.forms import HandoutForm, technique_form
from clinic.aftercare.library import GENERAL_CAUTIONS
from clinic.clients import services as client_services
from clinic.clients.models import Delivery
from clinic.paging import PER_PAGE, page_number
from clinic.pdf.documents import pdf_response
from clinic.permissions import public, requires
from clinic.records import StaleEdit
from clinic.validation import ValidationError, apply_to_form, unsaved_entries
from clinic.visits import services as visit_services

bp = Blueprint("aftercare", __name__)

# ---- the technique library ----


@bp.get("/techniques")
@requires("techniques.read")
def library():
    techniques = services.library(include_retired=True)
    return render_template(
        "aftercare/library.html",
        active=[technique for technique in techniques if not technique.retired],
        retired=[technique for technique in techniques if technique.retired],
        missing=services.missing_standard_techniques(),
        conditions=services.HOME_CARE_CONDITIONS,
        illustration_path=services.illustration_path,
    )


@bp.get("/techniques/<int:technique_id>")
@requires("techniques.read")
def technique(technique_id: int):
    return render_template(
        "aftercare/technique.html",
        technique=services.get_technique(technique_id),
        conditions=services.HOME_CARE_CONDITIONS,
        general_cautions=GENERAL_CAUTIONS,
        illustration_path=services.illustration_path,
    )


@bp.route("/techniques/new", methods=["GET", "POST"])
@requires("techniques.manage")
def technique_new():
    form = technique_form()
    if form.validate_on_submit():
        try:
            technique = services.create_technique(form.details())
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"“{technique.title}” is in the library.")
            return redirect(url_for("aftercare.technique", technique_id=technique.id))
    return render_template("aftercare/technique_form.html", form=form, technique=None)


@bp.route("/techniques/<int:technique_id>/edit", methods=["GET", "POST"])
@requires("techniques.manage")
def technique_edit(technique_id: int):
    technique = services.get_technique(technique_id)
    form = technique_form(technique)
    unsaved, status = [], 200
    if form.validate_on_submit():
        try:
            services.update_technique(technique, form.details(), form.version.data)
        except StaleEdit as error:
            typed, form = form, technique_form(services.get_technique(technique_id), saved=True)
            unsaved, status = unsaved_entries(typed, form), 409
            form.form_errors.append(error.errors[""])
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Saved “{technique.title}”.")
            return redirect(url_for("aftercare.technique", technique_id=technique.id))
    return render_template("aftercare/technique_form.html", form=form, technique=technique,
                           unsaved=unsaved), status


@bp.post("/techniques/<int:technique_id>/retire")
@requires("techniques.manage")
def technique_retire(technique_id: int):
    return _set_retired(technique_id, retired=True)


@bp.post("/techniques/<int:technique_id>/restore")
@requires("techniques.manage")
def technique_restore(technique_id: int):
    return _set_retired(technique_id, retired=False)


def _set_retired(technique_id: int, retired: bool):
    technique = services.get_technique(technique_id)
    if ConfirmForm().validate_on_submit():
        services.set_retired(technique, retired)
        state = ("is retired: it is no longer offered for new handouts" if retired
                 else "is back in the library")
        flash(f"“{technique.title}” {state}.")
    return redirect(url_for("aftercare.technique", technique_id=technique.id))


@bp.post("/techniques/install")
@requires("techniques.manage")
def techniques_install():
    if ConfirmForm().validate_on_submit():
        added = services.install_standard_techniques()
        flash(f"Added {added} standard technique{'s' if added != 1 else ''} to the library.")
    return redirect(url_for("aftercare.library"))


# ---- building a handout from a visit ----


def _user():
    return current_user._get_current_object()


@bp.route("/visits/<int:visit_id>/aftercare", methods=["GET", "POST"])
@requires("handouts.build")
def build(visit_id: int):
    visit = visit_services.get_visit(visit_id)
    try:
        built = handouts.builder(visit, _user(), date.today())
    except handouts.NotAllowed:
        abort(403)
    except ValidationError as error:
        flash(" ".join(error.errors.values()), "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    form = HandoutForm()
    status = 200
    if request.method == "GET":
        draft = built.initial_draft()
        if built.intake is not None:
            client_services.record_health_view(visit.client, built.intake, "aftercare builder")
    else:
        move = request.form.get("move", "")
        draft = form.draft(move)
        if not form.validate_on_submit():
            status = 400
        elif request.form.get("action") == "generate" and not move:
            try:
                made = handouts.generate(built, draft, _user())
            except ValidationError as error:
                apply_to_form(form, error)
                status = 400
            else:
                flash("The handout is ready. Send it by email, make a link, or print it.")
                return redirect(url_for("aftercare.handout", handout_id=made.id))
    chosen, others = built.split(draft)
    return render_template(
        "aftercare/builder.html", visit=visit, built=built, chosen=chosen, others=others,
        form=form, reasons=built.reasons(), max_techniques=handouts.MAX_TECHNIQUES,
        doc=handouts.preview(built, draft),
    ), status


# ---- a handout: the stored PDF and its delivery ----


def _handout_page(handout, new_link=None, status: int = 200):
    return render_template(
        "aftercare/handout.html", handout=handout, links=handouts.open_links(handout),
        visit_day=handouts.visit_day(handout),
        mail_ready=mail.is_configured(), preferred=handout.client.handout_delivery,
        delivery=Delivery, new_link=new_link,
    ), status


@bp.get("/clients/<int:client_id>/handouts")
@requires("handouts.deliver")
def client_handouts(client_id: int):
    client = client_services.get_client(client_id)
    given = handouts.for_client(client.id, per_page=PER_PAGE,
                                page=page_number(request.args.get("page")))
    return render_template("clients/related.html", client=client, listing=given,
                           noun="handouts")


@bp.get("/handouts/<int:handout_id>")
@requires("handouts.deliver")
def handout(handout_id: int):
    return _handout_page(handouts.get_handout(handout_id))


@bp.get("/handouts/<int:handout_id>.pdf")
@requires("handouts.deliver")
def handout_pdf(handout_id: int):
    found = handouts.get_handout(handout_id)
    return pdf_response(*handouts.pdf(found, via="staff"))


@bp.post("/handouts/<int:handout_id>/email")
@requires("handouts.deliver")
def handout_email(handout_id: int):
    found = handouts.get_handout(handout_id)
    if ConfirmForm().validate_on_submit():
        try:
            delivery = handouts.email(found, _user())
        except ValidationError as error:
            flash(" ".join(error.errors.values()), "error")
        else:
            if delivery.ok:
                flash(f"Emailed the handout to {delivery.recipient}.")
            else:
                flash(f"The email to {delivery.recipient} could not be sent. The handout is "
                      "saved: try again, make a link or print it.", "error")
    return redirect(url_for("aftercare.handout", handout_id=found.id))


@bp.post("/handouts/<int:handout_id>/print")
@requires("handouts.deliver")
def handout_print(handout_id: int):
    found = handouts.get_handout(handout_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("aftercare.handout", handout_id=found.id))
    handouts.record_print(found, _user())
    return redirect(url_for("aftercare.handout_pdf", handout_id=found.id))


@bp.post("/handouts/<int:handout_id>/links")
@requires("handouts.deliver")
def handout_link_new(handout_id: int):
    found = handouts.get_handout(handout_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("aftercare.handout", handout_id=found.id))
    link, token = handouts.create_link(found, _user())
    url = url_for("aftercare.shared", token=token, _external=True)
    # Shown on this response only: the token is not stored and cannot be shown again.
    new_link = {"url": url, "expires_at": link.expires_at,
                "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2)}
    return _handout_page(handouts.get_handout(handout_id), new_link)


@bp.post("/handouts/<int:handout_id>/links/<int:link_id>/revoke")
@requires("handouts.deliver")
def handout_link_revoke(handout_id: int, link_id: int):
    found = handouts.get_handout(handout_id)
    if ConfirmForm().validate_on_submit():
        handouts.revoke_link(found, link_id)
        flash("The download link no longer works.")
    return redirect(url_for("aftercare.handout", handout_id=found.id))


# ---- the client's download link: no account, works on a phone ----

PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


def _shared(token: str):
    link = handouts.find_link(token)
    if link is None:
        abort(404)
    return link, handouts.get_handout(link.handout_id)


@bp.get("/h/<token>")
@public
def shared(token: str):
    link, found = _shared(token)
    return render_template("aftercare/shared.html", handout=found, token=token, link=link,
                           visit_day=handouts.visit_day(found),
                           clinic_phone=get_settings().phone), 200, PRIVATE_HEADERS


@bp.get("/h/<token>/handout.pdf")
@public
def shared_pdf(token: str):
    link, found = _shared(token)
    data, status, headers = pdf_response(*handouts.pdf(found, via="link", link=link))
    return data, status, headers | PRIVATE_HEADERS
