"""The Kubernetes manifests in deploy/k8s validate against the API schemas and wire hotline
the way the README says: config from one ConfigMap and one Secret, probes, a migration Job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from core.settings import Settings
from tests.deploy.settings_vars import assert_known_settings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"


def documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def by_name(kind: str, name: str) -> dict[str, Any]:
    for doc in documents():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in deploy/k8s")


def container(kind: str, name: str, index: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = by_name(kind, name)["spec"]["template"]["spec"]
    return spec["containers"][index]  # type: ignore[no-any-return]


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_manifest_is_valid_for_the_kubernetes_api(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_catches_a_misspelt_field() -> None:
    broken = by_name("Deployment", "hotline-api")
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_everything_lives_in_the_hotline_namespace() -> None:
    for doc in documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "hotline", doc["metadata"]["name"]


def test_api_is_ready_only_when_healthz_answers_and_live_while_its_port_answers() -> None:
    api = container("Deployment", "hotline-api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "tcpSocket" in api["livenessProbe"]  # a Temporal outage must not restart every pod
    assert by_name("Deployment", "hotline-api")["spec"]["replicas"] >= 2
    assert by_name("Service", "hotline-api")["spec"]["selector"] == {"app": "hotline-api"}
    ingress = by_name("Ingress", "hotline")["spec"]["rules"][0]["http"]["paths"][0]
    assert ingress["backend"]["service"]["name"] == "hotline-api"


def test_workers_scale_and_get_time_to_finish_in_flight_tasks() -> None:
    worker = by_name("Deployment", "hotline-worker")
    assert worker["spec"]["replicas"] >= 2
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30
    assert container("Deployment", "hotline-worker")["args"] == ["worker"]


def test_migrations_run_as_a_job_upgrade_then_seed() -> None:
    job = by_name("Job", "hotline-migrate")["spec"]["template"]["spec"]
    assert job["initContainers"][0]["args"] == ["db", "upgrade"]
    assert job["containers"][0]["args"] == ["db", "seed"]
    assert job["restartPolicy"] == "OnFailure"


def test_temporal_uses_the_official_images_on_postgresql() -> None:
    temporal = container("Deployment", "temporal")
    assert temporal["image"].startswith("temporalio/server:")  # auto-setup is deprecated
    env = {item["name"]: item.get("value") for item in temporal["env"]}
    assert env["DB"] == "postgres12" and env["POSTGRES_SEEDS"] == "temporal-db"
    [schema] = by_name("Deployment", "temporal")["spec"]["template"]["spec"]["initContainers"]
    assert schema["image"] == temporal["image"].replace(
        "temporalio/server:", "temporalio/admin-tools:"
    )
    assert "update-schema" in schema["args"][0] and "temporal_visibility" in schema["args"][0]
    setup = container("Job", "temporal-search-attributes")
    assert setup["image"] == schema["image"]
    assert "namespace create -n default" in setup["args"][0]
    for name in ("CaseStatus", "CaseUnit", "CaseCategory"):
        assert name in setup["args"][0]


def test_hotline_pods_read_config_only_from_the_configmap_and_secret() -> None:
    config = by_name("ConfigMap", "hotline-config")["data"]
    secret = by_name("Secret", "hotline-secrets")["stringData"]
    assert_known_settings(config, where="ConfigMap hotline-config")
    assert_known_settings(secret, where="Secret hotline-secrets")
    assert "HOTLINE_SECRET_KEY" in secret and "HOTLINE_DATABASE_URL" in secret
    for kind, name in (("Deployment", "hotline-api"), ("Deployment", "hotline-worker")):
        sources = container(kind, name)["envFrom"]
        assert sources == [
            {"configMapRef": {"name": "hotline-config"}},
            {"secretRef": {"name": "hotline-secrets"}},
        ]
        assert "env" not in container(kind, name)


def test_the_secret_key_is_required_not_shipped() -> None:
    """Defect 7 of issue 13: the Secret shipped `change-me`, which the service accepted."""
    secret = by_name("Secret", "hotline-secrets")["stringData"]["HOTLINE_SECRET_KEY"]
    assert secret == ""  # none shipped: the API and workers refuse to start until it is set
    proxies = by_name("ConfigMap", "hotline-config")["data"]["HOTLINE_TRUSTED_PROXIES"]
    Settings(trusted_proxies=proxies, _env_file=None)  # type: ignore[call-arg]  # a network
