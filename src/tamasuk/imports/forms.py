from django import forms

from .adapters import KindForm


def upload_form_class(adapter) -> type[forms.Form]:
    """The upload form of a kind: the file first, then the kind's own choices."""
    base = adapter.upload_form or KindForm

    class UploadForm(base):
        file = forms.FileField(label=adapter.file_label)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.order_fields(["file"])

    return UploadForm
