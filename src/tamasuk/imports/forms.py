from django import forms


class KindForm(forms.Form):
    """The base of a kind's upload choices: it is given the city (a kind may offer the city's templates)."""

    def __init__(self, *args, city=None, **kwargs):
        self.city = city
        super().__init__(*args, **kwargs)


def upload_form_class(adapter) -> type[forms.Form]:
    """The upload form of a kind: the file first, then the kind's own choices."""
    base = adapter.upload_form or KindForm

    class UploadForm(base):
        file = forms.FileField(label=adapter.file_label)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.order_fields(["file"])

    return UploadForm
