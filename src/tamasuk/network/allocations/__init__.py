"""Campaign allocations: wards by need within each organisation's wards and capacity, saved unchangeable and
cited by a meeting decision (writes in ``services``), and their pages."""
