"""The coordination forum: forums, their meetings, the decisions taken and the action items assigned (writes in
``services``, reads in ``queries``), their pages, and the minutes as Markdown and PDF (``minutes``)."""
