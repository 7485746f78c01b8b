# Django's Arabic formats do not group digits ("15500000"); budgets and counts need grouping to be read.
# Everything not set here falls back to Django's own Arabic formats.
NUMBER_GROUPING = 3
