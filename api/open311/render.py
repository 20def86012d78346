"""Open311 answers in JSON or XML from one value, and errors in the spec's `errors[]` form.

The XML is the spec's schemaless layout (a root element, one child per item, a plural element
around each list); the JSON is its Spark-convention mapping, so both carry the same data.
Element text is escaped by ElementTree; characters XML 1.0 cannot carry at all (control
characters a client may have sent) are dropped rather than producing a document no parser reads.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# The element that holds each item of a list, by the list's own element name.
SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(StrEnum):
    json = "json"
    xml = "xml"


class Open311Error(Exception):
    """An error answered in the spec's form: `[{"code": 404, "description": "..."}]`."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"


def w3c(moment: datetime | None) -> str | None:
    """A W3C datetime with its zone, as the spec requires (UTC, written `Z`)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def render(
    fmt: Format, root: str, item: str | None, data: Any, *, status_code: int = 200
) -> Response:
    """`data` is a list of items (each becomes an `item` element) or, with `item` None, one
    mapping that becomes the root element itself."""
    if fmt is Format.json:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return Response(
            body.encode("utf-8", "replace"), status_code=status_code, media_type=JSON_TYPE
        )
    element = ET.Element(root)
    if item is None:
        _fill(element, data)
    else:
        for value in data:
            _fill(ET.SubElement(element, item), value)
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    return Response(text.encode("utf-8", "replace"), status_code=status_code, media_type=XML_TYPE)


def error_response(fmt: Format, errors: Sequence[Open311Error]) -> Response:
    items = [{"code": error.code, "description": error.description} for error in errors]
    return render(fmt, "errors", "error", items, status_code=errors[0].code)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        tag = SINGULAR.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
