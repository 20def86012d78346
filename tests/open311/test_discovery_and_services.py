"""Discovery, the service list and service definitions, in JSON and XML, and their errors."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from models.unit import Category
from tests.open311.conftest import FORMATS, LEAF, as_text, element_value, single_error, xml_items

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _body(response: httpx.Response, fmt: str, root: str, listed: bool = True) -> object:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return response.json()
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    if listed:
        return xml_items(response, root)
    import xml.etree.ElementTree as ET

    document = ET.fromstring(response.content)
    assert document.tag == root
    return element_value(document)


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_georeport_v2_endpoint_and_its_formats(
    client: httpx.Client, api_url: str, fmt: str
) -> None:
    body = _body(client.get(f"/discovery.{fmt}"), fmt, "discovery", listed=False)
    assert isinstance(body, dict)
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_xml_and_json_discovery_carry_the_same_data(client: httpx.Client) -> None:
    json_body = _body(client.get("/discovery.json"), "json", "discovery", listed=False)
    xml_body = _body(client.get("/discovery.xml"), "xml", "discovery", listed=False)
    assert xml_body == as_text(json_body)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_is_every_active_leaf_of_the_catalog(
    client: httpx.Client, engine: Engine, fmt: str
) -> None:
    services = _body(client.get(f"/services.{fmt}"), fmt, "services")
    assert isinstance(services, list)
    with Session(engine) as session:
        leaves = session.exec(
            select(func.count())
            .select_from(Category)
            .where(Category.level == 3, col(Category.active).is_(True))
        ).one()
    assert len(services) == leaves
    first = next(service for service in services if service["service_code"] == LEAF)
    assert as_text(first) == {
        "service_code": LEAF,
        "service_name": "事故处理",
        "description": "城乡建设 / 安全生产 / 事故处理",
        "metadata": "true",
        "type": "realtime",
        "keywords": "安全生产, Accident handling",
        "group": "城乡建设",
    }


def test_xml_and_json_service_lists_carry_the_same_data(client: httpx.Client) -> None:
    json_body = _body(client.get("/services.json"), "json", "services")
    xml_body = _body(client.get("/services.xml"), "xml", "services")
    assert xml_body == as_text(json_body)


def test_service_list_in_english_with_the_locale_extension(client: httpx.Client) -> None:
    services = client.get("/services.json", params={"locale": "en-US"}).json()
    first = next(service for service in services if service["service_code"] == LEAF)
    assert first["service_name"] == "Accident handling"
    assert first["group"] == "Urban and rural construction"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_the_attributes_a_request_may_carry(
    client: httpx.Client, fmt: str
) -> None:
    definition = _body(
        client.get(f"/services/{LEAF}.{fmt}"), fmt, "service_definition", listed=False
    )
    assert isinstance(definition, dict)
    assert definition["service_code"] == LEAF
    codes = [attribute["code"] for attribute in definition["attributes"]]
    assert codes == ["request_type", "urgency", "language"]
    urgency = definition["attributes"][1]
    assert as_text(urgency) == {
        "variable": "true",
        "code": "urgency",
        "datatype": "singlevaluelist",
        "required": "false",
        "datatype_description": None,
        "order": "2",
        "description": "是否紧急",
        "values": [{"key": "normal", "name": "一般"}, {"key": "urgent", "name": "紧急"}],
    }


def test_xml_and_json_service_definitions_carry_the_same_data(client: httpx.Client) -> None:
    json_body = _body(client.get(f"/services/{LEAF}.json"), "json", "", listed=False)
    xml_body = _body(client.get(f"/services/{LEAF}.xml"), "xml", "service_definition", False)
    assert xml_body == as_text(json_body)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["no-such-service", "01.01", "01"])
def test_service_definition_of_an_unknown_or_non_leaf_code_is_404(
    client: httpx.Client, fmt: str, code: str
) -> None:
    description = single_error(client.get(f"/services/{code}.{fmt}"), fmt, 404)
    assert description == f"service_code '{code}' was not found"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path", ["/discovery", "/services", f"/services/{LEAF}", "/requests", "/tokens/x"]
)
def test_a_foreign_jurisdiction_id_is_404_on_every_endpoint(
    client: httpx.Client, fmt: str, path: str
) -> None:
    response = client.get(f"{path}.{fmt}", params={"jurisdiction_id": "sfgov.org"})
    if path == "/discovery":  # discovery describes the endpoint itself, for any jurisdiction
        assert response.status_code == 200
        return
    description = single_error(response, fmt, 404)
    assert description.startswith("jurisdiction_id 'sfgov.org' was not found")


@pytest.mark.parametrize("path", ["/services", f"/services/{LEAF}"])
def test_our_own_jurisdiction_id_is_accepted(client: httpx.Client, path: str) -> None:
    assert client.get(f"{path}.json", params={"jurisdiction_id": "12345.beijing.gov.cn"}).is_success


@pytest.mark.parametrize("path", ["/services.csv", f"/services/{LEAF}.html", "/requests.yaml"])
def test_an_unknown_format_is_404_in_json(client: httpx.Client, path: str) -> None:
    description = single_error(client.get(path), "json", 404)
    assert description == "unknown format: end the path in .json or .xml"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_locale_is_400(client: httpx.Client, fmt: str) -> None:
    description = single_error(client.get(f"/services.{fmt}", params={"locale": "fr"}), fmt, 400)
    assert description == "locale 'fr' is not supported; use zh or en"
