# Dates spelled out, day first ("3 December 2026"): readers in Mombasa, Saida and Blantyre read 12/03/2026 as
# the 12th of March, an American reader as the 3rd of December.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
