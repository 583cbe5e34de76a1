"""Open311 GeoReport v2 facade: the catalogue and requests in the civic-tech standard.

Deviations, on purpose (also in the API description): complaints are private, so anonymous
GETs show only non-identifying fields, an id that is not the tracking number and a fixed label
of the state as `status_notes`; a location is optional (a complaint concerns an
administration, not a place); the POST answer adds the `tracking_number` the person needs;
service codes are `ADMINISTRATION-service`.

One job per module: `forms` reads what clients send (format, jurisdiction, GET filters, the
POST form), `service` does each call (its queries live in `app.repositories.open311`),
`render` turns the answers into the specification's objects and those into JSON or XML, and
`errors` holds the facade's own error lists. This package re-exports what the router uses.
"""

from app.services.open311.errors import Open311Error, error, errors_body
from app.services.open311.forms import (
    JURISDICTION,
    RequestQuery,
    check_format,
    check_jurisdiction,
    parse_attributes,
)
from app.services.open311.render import FORMATS, discovery, encode, w3c
from app.services.open311.service import (
    authenticate,
    one_request,
    request_list,
    service_definition,
    service_list,
    submit,
    token,
)

__all__ = [
    "FORMATS",
    "JURISDICTION",
    "Open311Error",
    "RequestQuery",
    "authenticate",
    "check_format",
    "check_jurisdiction",
    "discovery",
    "encode",
    "error",
    "errors_body",
    "one_request",
    "parse_attributes",
    "request_list",
    "service_definition",
    "service_list",
    "submit",
    "token",
    "w3c",
]
