from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, Optional

from clinic.validation import whole_number
from clinic.visits.models import SOAP_FIELDS
from clinic.visits.services import DURATIONS, TEXT_LIMIT, Booking


def choices(first: str, rows) -> list[SelectChoice]:
    """A select's options: a prompt with value 0, then (id, name) rows."""
    return [SelectChoice(0, first)] + [SelectChoice(row.id, row.name) for row in rows]


def _version_field() -> IntegerField:
    return IntegerField(widget=HiddenField.widget, validators=[Optional()])


class HiddenIdField(IntegerField):
    """A record's id carried in a hidden input: a number the database can hold, or no id."""

    widget = HiddenField.widget

    def process_formdata(self, valuelist):
        try:
            self.data = whole_number(valuelist[0]) if valuelist and valuelist[0] else None
        except ValueError:
            self.data = None
            raise ValueError("That record is not known here. Choose it again.") from None


class BookingForm(FlaskForm):
    client_id = HiddenIdField()
    therapist_id = SelectField("Therapist", coerce=whole_number, validate_choice=False)
    service_name = StringField(
        "Service", validators=[Length(max=120)], render_kw={"list": "service-names"},
        description="Choose from the list or type another.",
    )
    day = DateField("Date", validators=[Optional()])
    start = TimeField("Start time", validators=[Optional()], render_kw={"step": 300})
    minutes = SelectField(
        "Length", coerce=int, validate_choice=False,
        choices=[SelectChoice(minutes, f"{minutes} minutes") for minutes in DURATIONS], default=60,
    )

    def booking(self) -> Booking:
        return Booking(self.client_id.data, self.therapist_id.data, self.service_name.data or "",
                       self.day.data, self.start.data, self.minutes.data)


class StatusForm(FlaskForm):
    # The pressed button carries the new status.
    status = HiddenField()
    reason = StringField("Reason (for a cancellation or no-show)", validators=[Length(max=500)])
    version = _version_field()


def _soap_field(label: str, hint: str) -> TextAreaField:
    return TextAreaField(label, description=hint, validators=[Length(max=TEXT_LIMIT)],
                         render_kw={"rows": 5})


class NoteForm(FlaskForm):
    template = SelectField("Quick template", coerce=whole_number, validate_choice=False,
                           validators=[Optional()])
    version = _version_field()

    def text(self) -> dict[str, str]:
        return {name: self[name].data or "" for name, _, _ in SOAP_FIELDS}


class TemplateForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=80)])
    active = BooleanField("Offered to therapists", default=True)
    version = _version_field()

    def values(self) -> dict:
        return {"name": self.name.data or "", "active": self.active.data,
                **{name: self[name].data or "" for name, _, _ in SOAP_FIELDS}}


for _name, _label, _hint in SOAP_FIELDS:
    setattr(NoteForm, _name, _soap_field(_label, _hint))
    setattr(TemplateForm, _name, _soap_field(_label, ""))


class AddendumForm(FlaskForm):
    # Own ids: the visit page also holds the status form's reason field.
    reason = StringField("Reason", validators=[Length(max=200)], id="addendum-reason",
                         description="For example: correction, later finding, client called.")
    text = TextAreaField("Addendum", validators=[Length(max=TEXT_LIMIT)], id="addendum-text",
                         render_kw={"rows": 4})
