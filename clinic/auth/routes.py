from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from clinic.auth import services, two_factor
from clinic.auth.forms import (
    DisableTwoFactorForm,
    EnrolForm,
    LoginForm,
    PasswordChangeForm,
    SecondFactorForm,
)
from clinic.permissions import public, requires
from clinic.security import is_safe_next
from clinic.types import current_timestamp
from clinic.validation import ValidationError, apply_to_form

bp = Blueprint("auth", __name__)

# The signed session cookie remembers, for a few minutes, who gave a right password and
# still owes the code from their authenticator. It signs no one in by itself.
PENDING = "pending_sign_in"


def _begin_browser_session(user, token: str) -> None:
    """A fresh cookie session at every sign-in, so an id planted before it is worthless."""
    session.clear()
    login_user(user)
    session["sid"] = token
    session["seen"] = current_timestamp()


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = services.sign_in(form.email.data, form.password.data, request.remote_addr)
        if result.second_factor:
            session.clear()
            wait = current_app.config["SECOND_FACTOR_WAIT"].total_seconds()
            session[PENDING] = {
                "user": result.user.id,
                "until": current_timestamp() + int(wait),
                "next": next_url,
            }
            return redirect(url_for("auth.verify_login"))
        if result.user:
            _begin_browser_session(result.user, result.token)
            return redirect(next_url or url_for("home.index"))
        form.form_errors.append(result.error)
        status = 429 if result.throttled else 200
    return render_template("auth/login.html", form=form, next_url=next_url), status


def _pending() -> tuple[dict, object]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < current_timestamp():
        return {}, None
    return pending, two_factor.pending_user(pending.get("user"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
def verify_login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    pending, user = _pending()
    if user is None:
        session.pop(PENDING, None)
        flash("Please sign in again.")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    status = 200
    if form.validate_on_submit():
        result = two_factor.complete_sign_in(user, form.code.data, request.remote_addr)
        if result.token:
            _begin_browser_session(user, result.token)
            next_url = pending.get("next")
            return redirect(next_url if is_safe_next(next_url) else url_for("home.index"))
        if result.throttled:
            form.form_errors.append(result.error)
            status = 429
        else:
            form.code.errors = [result.error]
    return render_template("auth/verify.html", form=form), status


@bp.post("/logout")
@requires("account")
def logout():
    services.sign_out(current_user, session.get("sid"))
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account")
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            token = services.change_own_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                request.remote_addr,
            )
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            _begin_browser_session(current_user._get_current_object(), token)
            flash("Your password is changed. Other devices have been signed out.")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


def _two_factor_page(enrol_form=None, disable_form=None):
    user = current_user._get_current_object()
    state = two_factor.status(user)
    enrolment = None
    if not state.enabled:
        enrol_form = enrol_form or EnrolForm()
        enrolment = two_factor.enrolment_from(user, enrol_form.enrolment.data)
        if enrolment is None or not enrol_form.errors:
            enrolment = two_factor.start_enrolment(user)
        enrol_form.enrolment.data = enrolment.token
        enrol_form.code.data = ""
    return render_template(
        "auth/two_factor.html", state=state, enrolment=enrolment, enrol_form=enrol_form,
        disable_form=disable_form or DisableTwoFactorForm(),
    )


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@requires("account")
def account_two_factor():
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enrol(
                current_user._get_current_object(), form.enrolment.data, form.code.data
            )
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            # The recovery codes exist only in this response; the database keeps their hashes.
            return render_template("auth/recovery_codes.html", codes=codes)
    return _two_factor_page(enrol_form=form)


@bp.post("/account/two-factor/disable")
@requires("account")
def two_factor_disable():
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(
                current_user._get_current_object(), form.current_password.data,
                form.code.data, request.remote_addr,
            )
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            flash("Two-factor sign-in is off for your account.")
            return redirect(url_for("auth.two_factor"))
    return _two_factor_page(disable_form=form)
