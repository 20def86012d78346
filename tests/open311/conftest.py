"""Open311 clients of the real API: over HTTP, against the session's worker and Temporal."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from models.api_key import create_api_key

FORMATS = ("json", "xml")
LEAF = "01.01.001"  # 城乡建设 / 安全生产 / 事故处理
LIST_ELEMENTS = {"attributes", "values", "endpoints", "formats", "notes"}
STREET, DISTRICT = "110105001", "110105"  # a Chaoyang street and its district


@pytest.fixture(scope="session")
def api_key(engine: Engine) -> str:
    return create_api_key(engine=engine, name="conformance suite").secret


@pytest.fixture
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{api_url}/open311/v2", timeout=60) as client:
        yield client


def form(key: str, **fields: Any) -> dict[str, Any]:
    """A valid POST form (unique description, so each makes its own case) plus `fields`;
    a field given as None is left out."""
    values: dict[str, Any] = {
        "api_key": key,
        "service_code": LEAF,
        "lat": "39.9219",
        "long": "116.4436",
        "description": f"工地围挡倒了，挡住人行道。{uuid.uuid4().hex[:8]}",
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def xml_items(response: httpx.Response, root: str) -> list[dict[str, Any]]:
    """An XML list answer as the JSON the spec's Spark convention maps it to."""
    document = ET.fromstring(response.content)
    assert document.tag == root
    return [element_value(child) for child in document]


def element_value(element: ET.Element) -> Any:
    if element.tag in LIST_ELEMENTS:
        return [element_value(child) for child in element]
    children = list(element)
    if not children:
        return element.text
    return {child.tag: element_value(child) for child in children}


def as_text(value: Any) -> Any:
    """JSON values as XML carries them: text, booleans as true/false, null as nothing."""
    if isinstance(value, dict):
        return {key: as_text(child) for key, child in value.items()}
    if isinstance(value, list):
        return [as_text(child) for child in value]
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def errors(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    """The spec's error list, from either format, as JSON."""
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        return list(response.json())
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    items = xml_items(response, "errors")
    return [{"code": int(item["code"]), "description": item["description"]} for item in items]


def single_error(response: httpx.Response, fmt: str, status: int) -> str:
    assert response.status_code == status, response.text
    found = errors(response, fmt)
    assert len(found) == 1 and found[0]["code"] == status
    description: str = found[0]["description"]
    return description
