from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from clinic.admin.forms import PercentField
from clinic.invoices.models import PaymentMethod, Service
from clinic.invoices.services import (
    DraftDetails,
    LineDetails,
    PaymentDetails,
    ServiceDetails,
)


def _decimal(label: str, **kwargs) -> DecimalField:
    # Checked by the services, which say what is wrong in words; here only "is it a number".
    return DecimalField(label, places=None, validators=[Optional()],
                        render_kw={"inputmode": "decimal"}, **kwargs)


class ServiceForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=120)])
    duration_minutes = IntegerField("Duration (minutes)", validators=[Optional()])
    price = _decimal("Price, before tax")
    tax_rate = PercentField("Tax rate (%)", places=None, validators=[Optional()],
                            render_kw={"inputmode": "decimal"})
    active = BooleanField("Offered (shown when invoicing)", default=True)

    def details(self) -> ServiceDetails:
        return ServiceDetails(self.name.data or "", self.duration_minutes.data, self.price.data,
                              self.tax_rate.data, bool(self.active.data))


def _therapist_choices(therapists) -> list[SelectChoice]:
    return [SelectChoice("", "No therapist"),
            *[SelectChoice(str(t.id), t.name) for t in therapists]]


class DraftForm(FlaskForm):
    therapist_id = SelectField("Treating therapist", choices=[],
                               description="Their registration number is printed on the "
                                           "receipt for insurance claims.")
    service_date = DateField("Date of service", validators=[Optional()], default=date.today)
    notes = TextAreaField("Note printed on the invoice", validators=[Length(max=1000)],
                          render_kw={"rows": 2})

    def set_therapists(self, therapists) -> None:
        self.therapist_id.choices = _therapist_choices(therapists)

    def details(self) -> DraftDetails:
        therapist = self.therapist_id.data
        return DraftDetails(int(therapist) if therapist else None, self.service_date.data,
                            self.notes.data or "")


class NewInvoiceForm(DraftForm):
    service_id = SelectField("First service", choices=[],
                             description="Optional: more lines can be added next.")

    def set_services(self, services: list[Service]) -> None:
        self.service_id.choices = [SelectChoice("", "None for now"), *_service_choices(services)]


def _service_choices(services: list[Service]) -> list[SelectChoice]:
    return [SelectChoice(str(s.id), f"{s.name} ({s.price:,.2f})") for s in services]


class ServiceLineForm(FlaskForm):
    service_id = SelectField("Service", choices=[])
    quantity = _decimal("Quantity", default=1)

    def set_services(self, services: list[Service]) -> None:
        self.service_id.choices = _service_choices(services)

    def selected(self) -> int | None:
        return int(self.service_id.data) if (self.service_id.data or "").isdigit() else None


class LineForm(FlaskForm):
    description = StringField("Description", validators=[Length(max=200)])
    quantity = _decimal("Quantity", default=1)
    unit_price = _decimal("Unit price", description="Negative for a discount.")
    tax_rate = PercentField("Tax rate (%)", places=None, validators=[Optional()],
                            render_kw={"inputmode": "decimal"})

    def details(self) -> LineDetails:
        return LineDetails(self.description.data or "", self.quantity.data,
                           self.unit_price.data, self.tax_rate.data)


class PaymentForm(FlaskForm):
    method = SelectField("Method", choices=[SelectChoice(m.value, m.label) for m in PaymentMethod])
    amount = _decimal("Amount")
    received_on = DateField("Date received", validators=[Optional()], default=date.today)
    reference = StringField("Reference", validators=[Length(max=80)],
                            description="Optional: card slip, transfer or claim number.")

    def details(self) -> PaymentDetails:
        return PaymentDetails(self.method.data, self.amount.data, self.received_on.data,
                              self.reference.data or "")


class VoidForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Length(max=500)], render_kw={"rows": 3},
                           description="Printed on the credit note.")
