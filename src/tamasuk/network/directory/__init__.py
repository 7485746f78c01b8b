"""Who does what where: organisations, their services and the links between them (writes in ``services``,
reads in ``queries``), their pages, and the analysis pages built on them: coverage gaps and the network
drawing."""
