from dataclasses import asdict, fields

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from clinic.clients.models import (
    HEADACHE_FREQUENCIES,
    HEADACHE_KINDS,
    PRESSURES,
    QUESTIONS,
    Client,
    Delivery,
    Intake,
)
from clinic.clients.services import (
    Answer,
    ClientDetails,
    ContactDetails,
    IntakeAnswers,
    contact_of,
)


class ContactForm(FlaskForm):
    pronouns = StringField("Pronouns", validators=[Length(max=40)],
                           description="Optional, e.g. she/her, they/them.")
    phone = TelField("Phone", validators=[Length(max=40)], render_kw={"autocomplete": "tel"})
    email = EmailField("Email", validators=[Length(max=254)],
                       render_kw={"autocomplete": "email"})
    address = TextAreaField("Address", validators=[Length(max=500)],
                            render_kw={"autocomplete": "street-address", "rows": 3})
    emergency_contact_name = StringField("Emergency contact's name",
                                         validators=[Length(max=120)])
    emergency_contact_phone = TelField("Emergency contact's phone", validators=[Length(max=40)])

    def contact(self) -> ContactDetails:
        return ContactDetails(**{f.name: self[f.name].data for f in fields(ContactDetails)})


class ClientForm(ContactForm):
    first_name = StringField("First name", validators=[Length(max=80)])
    last_name = StringField("Last name", validators=[Length(max=80)])
    date_of_birth = DateField(
        "Date of birth", validators=[Optional()],
        description="The client confirms it before opening an intake link.",
    )
    handout_delivery = RadioField(
        "Aftercare handouts", choices=[SelectChoice(d.value, d.label) for d in Delivery],
        default=Delivery.EMAIL.value,
    )
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    not_duplicate = BooleanField("This is a different person: add them anyway")

    def details(self) -> ClientDetails:
        return ClientDetails(
            **asdict(self.contact()),
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            date_of_birth=self.date_of_birth.data,
            handout_delivery=self.handout_delivery.data,
        )


def _optional_choice(label: str, choices: dict[str, str]) -> RadioField:
    options = [SelectChoice(value, text) for value, text in choices.items()]
    return RadioField(label, choices=options, validators=[Optional()])


class IntakeForm(ContactForm):
    reason = TextAreaField("What brings you in?", validators=[Length(max=2000)],
                           render_kw={"rows": 3})
    goals = TextAreaField("What would you like from your visits?",
                          validators=[Length(max=2000)], render_kw={"rows": 3})
    headache_kind = _optional_choice("Which kind of headache?", HEADACHE_KINDS)
    headache_frequency = _optional_choice("How often?", HEADACHE_FREQUENCIES)
    headache_recent = BooleanField("They began or changed in the last three months")
    pressure = _optional_choice("Pressure you prefer", PRESSURES)
    areas_to_avoid = TextAreaField(
        "Areas you do not want touched", validators=[Length(max=1000)],
        description="For example: around the left eye, the front of the neck.",
        render_kw={"rows": 2},
    )
    consent_version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    agree = BooleanField("I have read the consent above and agree to it")
    signature = StringField(
        "Type your full name as your signature",
        validators=[Length(max=120)], render_kw={"autocomplete": "name"},
    )

    def answers(self) -> IntakeAnswers:
        ticked = {
            code: Answer(self[f"{code}_detail"].data or "",
                         self[f"{code}_date"].data if question.dated else None)
            for code, question in QUESTIONS.items()
            if self[code].data
        }
        return IntakeAnswers(
            contact=self.contact(),
            reason=self.reason.data or "",
            goals=self.goals.data or "",
            items=ticked,
            headache_kind=self.headache_kind.data or "",
            headache_frequency=self.headache_frequency.data or "",
            headache_recent=self.headache_recent.data,
            pressure=self.pressure.data or "",
            areas_to_avoid=self.areas_to_avoid.data or "",
            consent_version=self.consent_version.data,
            agreed=self.agree.data,
            signature=self.signature.data or "",
        )


for _question in QUESTIONS.values():
    setattr(IntakeForm, _question.code, BooleanField(_question.label))
    setattr(IntakeForm, f"{_question.code}_detail",
            StringField(_question.detail_label, validators=[Length(max=500)]))
    if _question.dated:
        setattr(IntakeForm, f"{_question.code}_date",
                DateField("When? An approximate date is fine.", validators=[Optional()]))


def intake_form_data(client: Client, intake: Intake | None, consent_version: int) -> dict:
    """Initial values: the client's contact details and, at the desk, the current answers."""
    data = asdict(contact_of(client))
    data["consent_version"] = consent_version
    if intake is None:
        return data
    for name in ("reason", "goals", "headache_kind", "headache_frequency", "headache_recent",
                 "pressure", "areas_to_avoid"):
        data[name] = getattr(intake, name) or None
    for item in intake.items:
        data[item.code] = True
        data[f"{item.code}_detail"] = item.detail
        data[f"{item.code}_date"] = item.on_date
    return data


class BirthDateForm(FlaskForm):
    date_of_birth = DateField(
        "Your date of birth",
        validators=[InputRequired(message="Enter your date of birth.")],
        render_kw={"autocomplete": "bday"},
    )


class SendLinkForm(FlaskForm):
    # Drawn by the client page without a form object: a page many open and few send from.
    email_it = BooleanField()


class ConsentForm(FlaskForm):
    body = TextAreaField("Consent wording", validators=[Length(max=10_000)],
                         render_kw={"rows": 10})


class DeleteClientForm(FlaskForm):
    # Checked by the service, after the retention period: every attempt reaches it and is
    # on record, with or without the name.
    confirm_name = StringField("Type the client's full name to confirm",
                               validators=[Length(max=170)], render_kw={"autocomplete": "off"})
