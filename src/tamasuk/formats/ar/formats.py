# Arabic numbers use the Arabic decimal separator ٫ and thousands separator ٬ (Django's own Arabic formats use
# "," and ".", so "1.056" read as a thousand and fifty-six beside "1.5" read as one and a half). Which digits
# (Western or Arabic-Indic) is each city's choice, applied to the whole page by tamasuk.web.digits.
# Everything not set here falls back to Django's own Arabic formats.
DECIMAL_SEPARATOR = "٫"
THOUSAND_SEPARATOR = "٬"
NUMBER_GROUPING = 3
# "٣ ديسمبر ٢٠٢٦": day, month name, year, as read in Arabic (never 12/03/2026, which readers take both ways).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "j F Y، H:i"
YEAR_MONTH_FORMAT = "F Y"
