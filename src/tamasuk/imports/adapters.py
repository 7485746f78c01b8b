"""What each kind of import brings to the pipeline: an adapter with three steps, read → plan → apply.

An app registers its adapters in its AppConfig.ready(); the pipeline (services, the task, the pages) knows
nothing of any kind. The coming kinds (survey submissions, SMS batches, exchange bundles) plug in the same way.

- read(job, data, progress) turns the stored file into the kind's records; a file that cannot be read raises
  ImportFileError with a message the user can act on.
- plan(job, records, progress) is the dry run: it writes nothing and returns an Outcome (new / changed /
  unchanged, and every error by row and column).
- apply(job, records, actor, progress) writes, all or nothing; the pipeline runs it in one transaction and
  rolls back if the Outcome has errors (the city's data changed since the dry run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from .models import ImportJob

MB = 1024 * 1024


class ImportFileError(ValidationError):
    """A file the pipeline refuses: wrong kind of file, too large, empty, or unreadable. The message says why."""


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict:
        # The summary is JSON in the database; PostgreSQL's jsonb holds no NUL character, which a refused
        # cell may (shown as \x00).
        return {"row": self.row, "column": str(self.column).replace("\x00", "\\x00"),
                "value": str(self.value)[:200].replace("\x00", "\\x00"), "message": str(self.message)}


@dataclass
class Outcome:
    """What a dry run found, or what an import wrote."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int | None = None  # when more errors were found than are listed
    details: dict[str, Any] = field(default_factory=dict)  # the kind's own (JSON), shown by its template

    @property
    def total_errors(self) -> int:
        return self.error_count if self.error_count is not None else len(self.errors)

    def as_summary(self, cap: int) -> dict:
        errors = sorted(self.errors, key=lambda e: e.row)[:cap]
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged,
                "errors": [e.as_dict() for e in errors], "error_count": self.total_errors, **self.details}


Progress = Callable[[int, int], None]


class KindForm(forms.Form):
    """The base of a kind's upload choices: it is given the city (a kind may offer the city's templates).

    It lives with the adapters, not with the pages' forms: a kind declares its choices (upload_form), and both
    the upload page and the task worker read them through the adapter."""

    def __init__(self, *args, city=None, **kwargs):
        self.city = city
        super().__init__(*args, **kwargs)


class Adapter:
    """One kind of import. Subclass, set the class attributes, implement read, plan and apply."""

    kind: ClassVar[str]
    label: ClassVar[str]            # "Indicator values", shown in lists and headings
    permission: ClassVar[str]       # the cities.permissions.Action that may upload, confirm and see the job
    extensions: ClassVar[tuple[str, ...]]
    accept_text: ClassVar[str]      # "a CSV file or an Excel workbook (.xlsx)", for the wrong-file message
    file_label: ClassVar[str]       # the file field's label: "3W/4W sheet (CSV or XLSX with HXL hashtags)"
    max_bytes: ClassVar[int] = 10 * MB
    unit: ClassVar[str] = ""        # what new/changed/unchanged count: "values", "organisations and services"
    # The kind's own choices beside the file: a subclass of KindForm (it is given the city).
    upload_form: ClassVar[type[forms.Form] | None] = None
    upload_template: ClassVar[str | None] = None  # help and extras on the upload page
    counts_template: ClassVar[str | None] = None  # the kind's own lines before new/changed/unchanged (<dt>/<dd>)
    detail_template: ClassVar[str | None] = None  # the kind's details on the job page
    setup_template: ClassVar[str | None] = None   # a step between upload and the dry run (column mapping)

    # ---- the three steps (task worker) ----
    def read(self, job: ImportJob, data: bytes, progress: Progress) -> Any:
        raise NotImplementedError

    def plan(self, job: ImportJob, records: Any, progress: Progress) -> Outcome:
        raise NotImplementedError

    def apply(self, job: ImportJob, records: Any, actor, progress: Progress) -> Outcome:
        raise NotImplementedError

    # ---- optional hooks (web) ----
    def options(self, cleaned: dict) -> dict:
        """The job's options from the upload form's cleaned data (JSON)."""
        return {k: v for k, v in cleaned.items() if k != "file"}

    def detect(self, job: ImportJob, data: bytes) -> dict:
        """What the file holds, at upload, for the setup step."""
        return {}

    def needs_setup(self, job: ImportJob) -> bool:
        """Whether the dry run waits for the user's choices (the setup step) instead of starting at upload."""
        return False

    def setup_form(self, job: ImportJob, data=None):
        return None

    def setup(self, job: ImportJob, form, actor) -> dict:
        """New options from a valid setup form; raise ValidationError (field → message) to refuse them."""
        return job.options

    def setup_context(self, job: ImportJob, form) -> dict:
        return {}

    def done_message(self, job: ImportJob) -> str:
        """One sentence once the job is imported."""
        from django.utils.translation import gettext as _
        return _("The import is done: everything shown here is now in the city's data.")

    def links(self, job: ImportJob) -> list[tuple[str, str]]:
        """(label, url) to show once the job is imported: where the new data can be seen."""
        return []

    def upload_context(self, city) -> dict:
        return {}


_registry: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    if adapter.kind in _registry and type(_registry[adapter.kind]) is not type(adapter):
        raise ValueError(f"Two import adapters claim the kind {adapter.kind!r}.")
    _registry[adapter.kind] = adapter
    return adapter


def get(kind: str) -> Adapter:
    return _registry[kind]


def kinds() -> list[Adapter]:
    return list(_registry.values())
