from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.aftercare import handouts
from clinic.clients import services as client_services
from clinic.clients.precautions import precautions
from clinic.paging import PER_PAGE, page_number
from clinic.permissions import can, requires
from clinic.security import is_safe_next
from clinic.validation import ValidationError, apply_to_form, parse_day, whole_number
from clinic.visits import services
from clinic.visits.forms import (
    AddendumForm,
    BookingForm,
    NoteForm,
    StatusForm,
    TemplateForm,
    choices,
)
from clinic.visits.models import SOAP_FIELDS, NoteLocked
from clinic.visits.page import visit_page

bp = Blueprint("visits", __name__)

LOCKED = "This note is signed and locked. Corrections go in an addendum under it."


def _user():
    return current_user._get_current_object()


def _from_button(change, done) -> None:
    """A change asked for from a form on the visit page, whose answer is a flashed message."""
    try:
        change()
    except services.NotAllowed:
        abort(403)
    except ValidationError as error:
        for message in error.errors.values():
            flash(message, "error")
    else:
        flash(done())


# ---- schedule and booking ----


@bp.get("/schedule")
@requires("visits.read")
def schedule():
    therapist_id = request.args.get("therapist", type=whole_number)
    if request.args.get("therapist", "") == "" and current_user.role == "therapist":
        therapist_id = current_user.id  # a therapist starts on their own day
    plan = services.schedule(
        parse_day(request.args.get("date", "")) or date.today(),
        request.args.get("view") == "week", therapist_id, date.today(),
        with_notes=can(current_user, "notes.read"), page=page_number(request.args.get("page")),
    )
    return render_template("visits/schedule.html", plan=plan, today=date.today())


@bp.route("/visits/new", methods=["GET", "POST"])
@requires("visits.manage")
def new():
    form = BookingForm()
    therapists = services.therapists()
    if current_user.role == "therapist":
        therapists = [person for person in therapists if person.id == current_user.id]
    form.therapist_id.choices = choices("Choose a therapist", therapists)
    if request.method == "GET":
        form.client_id.data = request.args.get("client_id", type=whole_number)
        form.therapist_id.data = request.args.get("therapist", type=whole_number) or (
            current_user.id if current_user.role == "therapist" else 0
        )
        form.day.data = parse_day(request.args.get("date", ""))
    if form.validate_on_submit():
        try:
            visit = services.book(form.booking(), _user())
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Booked {visit.client.name} with {visit.therapist.name}.")
            return redirect(url_for("visits.show", visit_id=visit.id))
    client = services.find_client(form.client_id.data)
    query = request.args.get("q", "")[:100]
    found = client_services.search(query, 1).rows if query and client is None else []
    return render_template("visits/book.html", form=form, client=client, q=query, found=found,
                           service_names=services.SERVICE_NAMES)


@bp.get("/clients/<int:client_id>/visits")
@requires("visits.read")
def client_visits(client_id: int):
    client = client_services.get_client(client_id)
    with_notes = can(current_user, "notes.read")
    visits = services.client_history(client.id, with_notes, per_page=PER_PAGE,
                                     page=page_number(request.args.get("page")))
    services.record_page_views("client visits", client=client, history=visits.rows)
    return render_template("clients/related.html", client=client, listing=visits,
                           noun="visits")


# ---- one visit ----


@bp.get("/visits/<int:visit_id>")
@requires("visits.read")
def show(visit_id: int):
    page = visit_page(visit_id, _user(), date.today())
    return render_template(
        "visits/show.html", **vars(page), soap_fields=SOAP_FIELDS,
        status_form=StatusForm(version=page.visit.version) if page.changes_status else None,
        addendum_form=AddendumForm() if page.takes_addendum else None,
    )


@bp.post("/visits/<int:visit_id>/status")
@requires("visits.manage")
def status(visit_id: int):
    visit = services.get_visit(visit_id)
    form = StatusForm()
    if form.validate_on_submit():
        _from_button(lambda: services.change_status(
            visit, form.status.data, form.reason.data, _user(), form.version.data
        ), lambda: f"{visit.client.name}: {visit.state.label.lower()}.")
    back = request.form.get("back")
    return redirect(back if is_safe_next(back) else url_for("visits.show", visit_id=visit.id))


# ---- the note ----


def _locked_page(visit):
    back = url_for("visits.show", visit_id=visit.id)
    return render_template("visits/locked.html", message=LOCKED, back=back), 409


def _editor(visit, form: NoteForm, note, status_code: int = 200):
    templates = services.note_templates()
    form.template.choices = choices("Choose a template", templates)
    intake = client_services.current_intake(visit.client_id)
    return render_template(
        "visits/note.html", visit=visit, form=form, note=note,
        precautions=precautions(intake, date.today()), intake=services.summarise(intake),
        soap_fields=SOAP_FIELDS, aftercare=handouts.for_visit(visit, _user()),
    ), status_code


@bp.route("/visits/<int:visit_id>/note", methods=["GET", "POST"])
@requires("notes.write")
def note(visit_id: int):
    visit = services.get_visit(visit_id)
    if visit.therapist_id != current_user.id:
        abort(403)
    note = services.get_note(visit)
    if note is not None and note.signed:
        if request.method == "GET":
            return redirect(url_for("visits.show", visit_id=visit.id))
        return _locked_page(visit)
    form = NoteForm(obj=note)
    if request.method == "GET":
        if note is not None:
            services.record_note_view(note, "editor")
        return _editor(visit, form, note)
    if not form.validate_on_submit():
        return _editor(visit, form, note, 400)
    action = request.form.get("action", "save")
    text = form.text()
    try:
        if action == "template" and form.template.data:
            template = services.get_template(form.template.data)
            note = services.save_draft(visit, _user(), services.with_template(text, template),
                                       form.version.data)
            flash(f"Added the “{template.name}” template. Fill in the dots.")
        elif action == "sign":
            services.sign(visit, _user(), text, form.version.data)
            flash("The note is signed. Corrections from now on are addenda.")
            return redirect(url_for("visits.show", visit_id=visit.id))
        else:
            services.save_draft(visit, _user(), text, form.version.data)
            flash("Draft saved.")
    except services.NotAllowed:
        abort(403)
    except NoteLocked:
        return _locked_page(visit)
    except services.StaleNote as error:
        apply_to_form(form, error)
        return _editor(visit, form, services.get_note(visit), 409)
    except ValidationError as error:
        apply_to_form(form, error)
        return _editor(visit, form, note, 400)
    return redirect(url_for("visits.note", visit_id=visit.id))


@bp.post("/visits/<int:visit_id>/note/autosave")
@requires("notes.write")
def autosave(visit_id: int):
    """The editor's script saves the draft here as the therapist types."""
    visit = services.get_visit(visit_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return jsonify(error="The draft could not be read. Use the Save draft button."), 400
    try:
        note = services.save_draft(visit, _user(), form.text(), form.version.data)
    except services.NotAllowed:
        return jsonify(error="Only the visit's therapist writes its note."), 403
    except NoteLocked:
        return jsonify(error=LOCKED), 409
    except services.StaleNote as error:
        return jsonify(error=error.errors[""]), 409
    except ValidationError as error:
        return jsonify(error=" ".join(error.errors.values())), 400
    return jsonify(version=note.version,
                   saved_at=f"{services.local(note.updated_at):%H:%M:%S}")


@bp.post("/visits/<int:visit_id>/note/addenda")
@requires("notes.write")
def addendum(visit_id: int):
    visit = services.get_visit(visit_id)
    form = AddendumForm()
    if form.validate_on_submit():
        _from_button(lambda: services.add_addendum(visit, _user(), form.reason.data,
                                                   form.text.data),
                     lambda: "Addendum added under the signed note.")
    return redirect(url_for("visits.show", visit_id=visit.id, _anchor="note-heading"))


# ---- note templates (admin) ----


@bp.get("/admin/note-templates")
@requires("notes.templates")
def templates():
    return render_template("visits/templates.html",
                           templates=services.note_templates(include_retired=True))


@bp.route("/admin/note-templates/new", methods=["GET", "POST"])
@requires("notes.templates")
def template_new():
    return _template_form(None)


@bp.route("/admin/note-templates/<int:template_id>", methods=["GET", "POST"])
@requires("notes.templates")
def template_edit(template_id: int):
    return _template_form(services.get_template(template_id))


def _template_form(template):
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            saved = services.save_template(template, form.values(), form.version.data)
        except ValidationError as error:
            if "" in error.errors and template is not None:
                form = TemplateForm(formdata=None, obj=template)
            apply_to_form(form, error)
        else:
            flash(f"Saved the “{saved.name}” template.")
            return redirect(url_for("visits.templates"))
    return render_template("visits/template_form.html", form=form, template=template,
                           soap_fields=SOAP_FIELDS)

