from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.aftercare.handouts import NOTE_LIMIT, Draft, arrange
from clinic.aftercare.models import Area, Technique
from clinic.aftercare.services import HOME_CARE_CONDITIONS, TechniqueDetails, illustrations
from clinic.validation import whole_number_or_none


class CheckboxesField(SelectMultipleField):
    """Several choices as tick boxes; the service checks them, so no choice is pre-validated."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        pass


class TechniqueForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=120)])
    purpose = TextAreaField("What it helps with", validators=[Length(max=1000)],
                            description="One or two sentences, written to the client.")
    steps = TextAreaField(
        "Steps", validators=[Length(max=6000)],
        description="One step per line, in order, in plain words. “(1)” refers to the "
                    "number 1 in the drawing.",
    )
    duration = StringField("How long", validators=[Length(max=80)],
                           description="For example: 2 to 3 minutes.")
    frequency = StringField("How often", validators=[Length(max=120)],
                            description="For example: Once or twice a day.")
    cautions = TextAreaField("Cautions", validators=[Length(max=3000)],
                             description="One per line. The general cautions (clean hands, "
                                         "not over broken skin, stop if it hurts) are printed "
                                         "on every handout already.")
    conditions = CheckboxesField(
        "Helps with (pre-selected for clients who ticked these on their intake)",
        choices=[SelectChoice(code, label) for code, label in HOME_CARE_CONDITIONS.items()],
    )
    areas = CheckboxesField(
        "Where hands go (left out when a precaution protects one of these areas)",
        choices=[SelectChoice(area.value, area.label) for area in Area],
    )
    illustration = SelectField("Drawing", choices=[], validate_choice=False)
    illustration_alt = TextAreaField(
        "Text alternative for the drawing", validators=[Length(max=1000)],
        description="What the drawing shows, for clients who use a screen reader.",
    )
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

    def details(self) -> TechniqueDetails:
        return TechniqueDetails(
            title=self.title.data or "", purpose=self.purpose.data or "",
            steps=self.steps.data or "", duration=self.duration.data or "",
            frequency=self.frequency.data or "", cautions=self.cautions.data or "",
            conditions=self.conditions.data or [], areas=self.areas.data or [],
            illustration=self.illustration.data or "",
            illustration_alt=self.illustration_alt.data or "",
        )


def technique_form(technique: Technique | None = None, *, saved: bool = False) -> TechniqueForm:
    """The form filled from a saved technique, with the drawings on disk to choose from.

    `saved`: show the technique as saved, not what was just posted (after a stale edit).
    """
    data = None
    if technique is not None:
        data = {
            "title": technique.title, "purpose": technique.purpose,
            "steps": "\n".join(technique.steps), "duration": technique.duration,
            "frequency": technique.frequency, "cautions": "\n".join(technique.cautions),
            "conditions": technique.conditions, "areas": technique.areas,
            "illustration": technique.illustration,
            "illustration_alt": technique.illustration_alt, "version": technique.version,
        }
    form = TechniqueForm(data=data, **({"formdata": None} if saved else {}))
    form.illustration.choices = [SelectChoice("", "No drawing")] + [
        SelectChoice(name, name) for name in illustrations()]
    return form


class HandoutForm(FlaskForm):
    """The handout builder. Its buttons (move up or down, preview, generate) are read by the
    route; the order of the chosen techniques travels in a hidden field, so no script is needed."""

    technique = CheckboxesField("Techniques", coerce=int)
    order = HiddenField()
    personal_note = TextAreaField(
        "A personal note for the client",
        validators=[Length(max=NOTE_LIMIT, message=f"Keep the note to {NOTE_LIMIT:,} "
                                                    "characters.")],
        description="Printed near the top of the handout. Write to the client, in plain words: "
                    "no clinical notes.",
    )

    def draft(self, move: str = "") -> Draft:
        order = [number for part in (self.order.data or "").split()
                 if (number := whole_number_or_none(part)) is not None]
        return Draft(arrange(order, self.technique.data or [], move), self.personal_note.data or "")

