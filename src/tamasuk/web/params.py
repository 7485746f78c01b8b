"""Numbers from addresses and form fields, read without ever failing on what a person or a bot typed."""


def whole_number(value) -> int | None:
    """A whole number written in decimal digits ("12", "٢٠٢٤"), or None for anything else ("abc", "²", "-1")."""
    text = "" if value is None else str(value).strip()
    return int(text) if text.isdecimal() else None
