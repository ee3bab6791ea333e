class ValidationError(Exception):
    """A rule a service refused, with one message per form field ("" for the whole form)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.errors = errors


def apply_to_form(form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it concerns."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
