"""A service's ValidationError shown to a person: on the form's fields where it names them, or as one line."""

from django.core.exceptions import ValidationError


def put_on_form(form, exc: ValidationError) -> None:
    """Each error on the field it names when the form has that field, the rest at the top of the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def as_text(exc: ValidationError) -> str:
    """All of the error's messages as one line, for a flash message."""
    return " ".join(str(m) for m in exc.messages)
