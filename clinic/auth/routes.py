from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from clinic.auth import bp, services
from clinic.auth.forms import LoginForm, PasswordChangeForm
from clinic.permissions import public, requires
from clinic.security import is_safe_next
from clinic.types import current_timestamp
from clinic.validation import ValidationError, apply_to_form


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
        if result.user:
            _begin_browser_session(result.user, result.token)
            return redirect(next_url or url_for("home.index"))
        form.form_errors.append(result.error)
        status = 429 if result.throttled else 200
    return render_template("auth/login.html", form=form, next_url=next_url), status


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
