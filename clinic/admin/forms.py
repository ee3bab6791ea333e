from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from clinic.admin.models import PageSize
from clinic.audit.services import AuditFilter
from clinic.auth.forms import new_password_field
from clinic.auth.models import REGISTRATION_NUMBER_REQUIRED, Role
from clinic.formatting import plain_decimal
from clinic.validation import OUTSIDE_CALENDAR, in_calendar

# Currencies with two decimal places, which is what invoices print.
CURRENCIES = ["AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "NOK", "NZD", "SEK", "USD", "ZAR"]


class StaffForm(FlaskForm):
    name = StringField(
        "Full name", validators=[DataRequired(message="Enter a name."), Length(max=120)]
    )
    email = EmailField(
        "Email (used to sign in)",
        validators=[
            DataRequired(message="Enter an email."),
            Email(message="Enter an email like name@example.com."),
            Length(max=254),
        ],
    )
    role = SelectField("Role", choices=[SelectChoice(role.value, role.label) for role in Role])
    registration_number = StringField(
        "Professional registration number",
        validators=[Length(max=40)],
        description="Required for therapists: it is printed on insurance receipts.",
    )

    def validate_registration_number(self, field) -> None:
        # Checked here too so every mistake in the form shows at once, not one per submit.
        try:
            needs_number = Role(self.role.data).needs_registration_number
        except ValueError:
            return  # the role field reports an unknown role itself
        if needs_number and not (field.data or "").strip():
            raise ValidationError(REGISTRATION_NUMBER_REQUIRED)


class NewStaffForm(StaffForm):
    password = new_password_field("Initial password")


class EditStaffForm(StaffForm):
    password = new_password_field("New password (leave empty to keep the current one)",
                                  required=False)


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, behind a button that changes state."""


def _at_most_three_decimals(form, field) -> None:
    # NaN and infinity have no exponent to compare; NumberRange refuses them.
    if field.data is not None and field.data.is_finite() and field.data.as_tuple().exponent < -3:
        raise ValidationError("Use at most three decimals, e.g. 9.975.")


class PercentField(DecimalField):
    """Shows a stored 15.000 as 15, the way the admin typed it."""

    def _value(self) -> str:
        if self.raw_data is None and self.data is not None:
            return plain_decimal(self.data)
        return super()._value()


class SettingsForm(FlaskForm):
    name = StringField(
        "Clinic name", validators=[DataRequired(message="Enter the clinic's name."),
                                   Length(max=120)]
    )
    address = TextAreaField("Address", validators=[Length(max=500)])
    phone = StringField("Phone", validators=[Length(max=40)])
    email = EmailField(
        "Email",
        validators=[Optional(), Email(message="Enter an email like desk@example.com."),
                    Length(max=254)],
    )
    tax_id = StringField(
        "Tax registration number",
        validators=[Length(max=40)],
        description="Printed on invoices and receipts.",
    )
    currency = SelectField("Currency", choices=CURRENCIES)
    default_tax_rate = PercentField(
        "Default tax rate (%)",
        places=None,
        validators=[
            InputRequired(message="Enter a rate; 0 if you charge no tax."),
            NumberRange(min=0, max=100, message="Enter a rate between 0 and 100."),
            _at_most_three_decimals,
        ],
    )
    invoice_prefix = StringField(
        "Invoice number prefix",
        validators=[
            DataRequired(message="Enter a prefix such as INV."),
            Regexp(r"^[A-Z0-9]{1,10}$", message="Use 1 to 10 capital letters or digits."),
        ],
        description="Invoices are numbered PREFIX-YEAR-000001.",
    )
    page_size = SelectField("Paper size", choices=[size.value for size in PageSize])
    logo_upload = FileField(
        "Logo",
        description="PNG or JPEG, at most 1 MB. Shown on invoices and handouts.",
        render_kw={"accept": "image/png,image/jpeg"},
    )
    remove_logo = BooleanField("Remove the current logo")
    require_two_factor = BooleanField(
        "Require two-factor sign-in for all staff",
        description="Staff without an authenticator app are asked to set one up before "
        "they can use anything else, you included.",
    )
    retention_years = IntegerField(
        "Keep client records for (years)",
        validators=[
            InputRequired(message="Enter a number of years, e.g. 10."),
            NumberRange(min=1, max=100, message="Enter a number of years between 1 and 100."),
        ],
        description="Counted from the client's last visit, or from their 18th birthday if that "
        "is later; invoices from their date. Until then a client can be archived, not deleted. "
        "Check what the law asks where you practise.",
    )

    def values(self) -> dict:
        """The settings columns, as the service takes them."""
        return {
            "name": self.name.data.strip(),
            "address": self.address.data.strip(),
            "phone": self.phone.data.strip(),
            "email": self.email.data.strip().lower(),
            "tax_id": self.tax_id.data.strip(),
            "currency": self.currency.data,
            "default_tax_rate": self.default_tax_rate.data,
            "invoice_prefix": self.invoice_prefix.data,
            "page_size": self.page_size.data,
            "require_two_factor": self.require_two_factor.data,
            "retention_years": self.retention_years.data,
        }


def _in_calendar(form, field) -> None:
    if field.data is not None and not in_calendar(field.data):
        raise ValidationError(OUTSIDE_CALENDAR)


class AuditFilterForm(FlaskForm):
    """The audit log's filters: a GET form, so filtered views can be bookmarked and shared."""

    class Meta:
        csrf = False

    actor = SelectField("Staff member", coerce=int, default=0)
    action = SelectField("Action", default="")
    object_type = StringField("Record type", validators=[Optional(), Length(max=32)])
    object_id = StringField("Record id", validators=[Optional(), Length(max=255)])
    # Bounded like the database's integer ids, so no number typed here can overflow a query.
    client = IntegerField("Client number", validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message="Enter a client's number."),
    ])
    date_from = DateField("From", validators=[Optional(), _in_calendar])
    date_to = DateField("To", validators=[Optional(), _in_calendar])

    def with_choices(self, staff, actions) -> "AuditFilterForm":
        self.actor.choices = [SelectChoice(0, "Anyone")] + [
            SelectChoice(member.id, f"{member.name} ({member.email})") for member in staff
        ]
        self.action.choices = [SelectChoice("", "Any action")] + [
            SelectChoice(action) for action in actions
        ]
        return self

    def filters(self) -> AuditFilter:
        return AuditFilter(
            actor_id=self.actor.data or None,
            action=self.action.data or None,
            object_type=(self.object_type.data or "").strip() or None,
            object_id=(self.object_id.data or "").strip() or None,
            client_id=self.client.data,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )
