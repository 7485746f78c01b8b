"""Every import of a file into a city's data, one way: a job row with a kind, the file in storage, and per kind an
adapter that reads, plans (the dry run) and applies (all or nothing), run by the task worker."""
