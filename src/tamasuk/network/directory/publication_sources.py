"""The rows the directory hands the publication layer (cities.publication.provide, from NetworkConfig.ready()):
people reached by each service, which the layer publishes as one protected table per city."""

from ..models import Service


def service_reach(city):
    return Service.objects.filter(city=city).order_by("pk").values_list(
        "pk", "reached_f", "reached_m", "reached_total")


READERS = {"service_reach": service_reach}
