from flask import flash, redirect, render_template, url_for

from clinic.admin.forms import ConfirmForm
from clinic.aftercare import bp, services
from clinic.aftercare.forms import technique_form
from clinic.aftercare.library import GENERAL_CAUTIONS
from clinic.permissions import requires
from clinic.validation import ValidationError, apply_to_form

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
        confirm_form=ConfirmForm(),
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
        confirm_form=ConfirmForm(),
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
    if form.validate_on_submit():
        try:
            services.update_technique(technique, form.details(), form.version.data)
        except services.StaleEdit as error:
            form = technique_form(services.get_technique(technique_id), saved=True)
            form.form_errors.append(error.errors[""])
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash(f"Saved “{technique.title}”.")
            return redirect(url_for("aftercare.technique", technique_id=technique.id))
    return render_template("aftercare/technique_form.html", form=form, technique=technique)


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
