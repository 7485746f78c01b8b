"""The versioned JSON API. Same permission layer as the pages: handlers only parse and call queries."""

from __future__ import annotations

from csp.decorators import csp_update
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema
from ninja.security import HttpBearer, django_auth

from tamasuk.cities import publication, queries
from tamasuk.cities.api_schemas import ERRORS, INVALID, Error
from tamasuk.cities.permissions import role_in, visible_levels
from tamasuk.mapping.api import router as mapping_router
from tamasuk.network.api import router as network_router
from tamasuk.plans.api import router as plans_router

from .services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Tamasuk API",
    version="1",
    description="City data for integrations. Authenticate with a personal API token: "
                "`Authorization: Bearer <token>` (create one under Account → API tokens).",
    urls_namespace="api-1",
    # A signed-in browser may read with its session; Django checks CSRF on any unsafe method.
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    # Swagger UI (served from our own static files) writes inline styles;
    # only its page gets the looser policy.
    docs_decorator=csp_update({"style-src": ["'unsafe-inline'"]}),
    openapi_url="/openapi.json",
)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "You do not have access to this resource."}, status=403)


class CityOut(Schema):
    slug: str
    name: str
    country: str
    languages: list[str]
    time_zone: str
    small_count_threshold: int  # counts below it are published as "<k" outside the city team
    is_demo: bool
    your_role: str | None
    visible_levels: list[str]


class Feature(Schema):
    type: str = "Feature"
    id: str
    geometry: dict | None
    properties: dict
    bbox: list[float] | None = None


class FeatureCollection(Schema):
    type: str = "FeatureCollection"
    features: list[Feature]


class MeOut(Schema):
    username: str
    memberships: list[dict]


def _city_out(request, city) -> dict:
    return {
        "slug": city.slug, "name": city.name, "country": city.country, "languages": city.languages,
        "time_zone": city.time_zone, "small_count_threshold": publication.threshold(city), "is_demo": city.is_demo,
        "your_role": role_in(request.auth, city), "visible_levels": visible_levels(request.auth, city),
    }


def _feature(area) -> dict:
    return {
        "type": "Feature",
        "id": area.code,
        "geometry": area.geometry,
        "bbox": list(area.bbox) if area.bbox else None,
        "properties": {
            "code": area.code, "name": area.name, "names": area.names, "level": area.level,
            "parent_code": area.parent.code if area.parent_id else None, "population": area.population,
        },
    }


router = Router(tags=["cities"])


@router.get("/me", response={200: MeOut, 401: Error}, summary="Who the token belongs to")
def me(request):
    user = request.auth
    return {
        "username": user.username,
        "memberships": [
            {"city": m.city.slug, "role": m.role, "ends_on": m.ends_on.isoformat() if m.ends_on else None}
            for m in user.memberships.select_related("city") if m.is_active()
        ],
    }


@router.get("/cities", response={200: list[CityOut], 401: Error}, summary="Cities you may read")
def list_cities(request):
    return [_city_out(request, c) for c in queries.visible_cities(request.auth)]


@router.get("/cities/{slug}", response={200: CityOut, **ERRORS}, summary="One city")
def get_city(request, slug: str):
    return _city_out(request, queries.city_for(request.auth, slug))


@router.get("/cities/{slug}/areas", response={200: FeatureCollection, **ERRORS, **INVALID},
            summary="The city's areas as a GeoJSON FeatureCollection")
def list_areas(request, slug: str, level: int | None = None):
    city = queries.city_for(request.auth, slug)
    return {"type": "FeatureCollection", "features": [_feature(a) for a in queries.areas(request.auth, city, level=level)]}


@router.get("/cities/{slug}/areas/{code}", response={200: Feature, **ERRORS}, summary="One area as a GeoJSON Feature")
def get_area(request, slug: str, code: str):
    city = queries.city_for(request.auth, slug)
    return _feature(queries.area(request.auth, city, code))


api.add_router("/", router)
api.add_router("/", mapping_router)
api.add_router("/", network_router)
api.add_router("/", plans_router)
