from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from clinic.auth.passwords import MAX_LENGTH, MIN_LENGTH, POLICY_TEXT


def new_password_field(label: str, *, required: bool = True) -> PasswordField:
    """The same policy wherever a password is chosen: length only."""
    presence = DataRequired(message="Choose a password.") if required else Optional()
    validators = [
        presence,
        Length(min=MIN_LENGTH, message=f"Use at least {MIN_LENGTH} characters."),
        Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters."),
    ]
    return PasswordField(
        label,
        validators=validators,
        description=POLICY_TEXT,
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(message="Enter your email."), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(message="Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field("New password")
    confirm_password = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


def _code_field(label: str, description: str) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(message="Enter the code."), Length(max=40)],
        description=description,
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                   "autocapitalize": "off"},
    )


class SecondFactorForm(FlaskForm):
    code = _code_field(
        "Code",
        "The 6-digit code your authenticator app shows now, or one of your recovery codes.",
    )


class EnrolForm(FlaskForm):
    enrolment = HiddenField()
    code = _code_field("Code from the app", "The 6-digit code the app shows for this clinic.")


class DisableTwoFactorForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(message="Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field(
        "Code", "The 6-digit code your authenticator app shows now, or a recovery code."
    )
