"""The rows mapping hands the publication layer (cities.publication.provide, from MappingConfig.ready()):
community reports by area and category, the years they span, and which categories' themes are open."""

from .models import CATEGORY_THEME, CommunityReport, ReportCategory, Sensitivity, Theme


def report_categories() -> list[str]:
    return list(ReportCategory.values)


def open_report_categories(city) -> set[str]:
    open_codes = set(Theme.objects.filter(city=city, sensitivity=Sensitivity.OPEN).values_list("code", flat=True))
    return {c for c in ReportCategory.values if CATEGORY_THEME.get(c) in open_codes}


def report_years(city) -> list[int]:
    return [d.year for d in CommunityReport.objects.filter(city=city).dates("date", "year")]


def reports(city, year: int):
    return CommunityReport.objects.filter(city=city, date__year=year).values_list("area__code", "category")


READERS = {"report_categories": report_categories, "open_report_categories": open_report_categories,
           "report_years": report_years, "reports": reports}
