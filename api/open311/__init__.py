"""Open311 GeoReport v2: our catalog as services, our cases as service requests."""

from api.open311.routes import router

__all__ = ["router"]
