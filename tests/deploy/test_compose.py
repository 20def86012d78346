"""The Compose stack in deploy/ is valid Compose and wires hotline only through HOTLINE_*.

No Docker engine runs on CI machines, so the file is checked against the compose-spec JSON
schema (the copy `check-jsonschema` ships, offline), and `docker compose config` runs too
wherever the Compose CLI is installed.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from analytics.fonts import DEBIAN_CJK_FONTS
from tests.deploy.settings_vars import assert_known_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"


def compose_schema() -> dict[str, Any]:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return schema


def schema_errors(document: object) -> list[str]:
    validator_class = jsonschema.validators.validator_for(compose_schema())
    validator = validator_class(compose_schema())
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_compose_file_matches_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    assert schema_errors(compose) == []


def test_the_schema_check_catches_a_broken_file(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["api"]["deploy"]["replicas"] = ["two"]
    broken["services"]["worker"]["restart"] = {"always": True}
    assert len(schema_errors(broken)) >= 2


def test_docker_compose_config_accepts_the_file_where_the_cli_exists(tmp_path: Path) -> None:
    """Runs only the schema's job again where no Compose CLI is installed (CI has none)."""
    docker = shutil.which("docker")
    has_compose = docker is not None and (
        subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0  # noqa: S603
    )
    if not has_compose:
        assert schema_errors(yaml.safe_load(COMPOSE.read_text())) == []
        return
    env_file = tmp_path / ".env"
    env_file.write_text("HOTLINE_SECRET_KEY=s\nHOTLINE_DB_PASSWORD=p\nTEMPORAL_DB_PASSWORD=t\n")
    result = subprocess.run(  # noqa: S603
        [str(docker), "compose", "-f", str(COMPOSE), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_stack_has_every_part_the_production_layout_needs(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    assert services["temporal-setup"]["image"].startswith("temporalio/admin-tools:")
    assert services["db"]["image"].startswith("postgres:")
    assert services["temporal-db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["seed"]["command"] == ["db", "seed"]
    assert services["worker"]["command"] == ["worker"]
    assert services["api"]["command"][0] == "api"
    assert services["proxy"]["image"].startswith("nginx:")


def test_temporal_runs_the_current_images_with_its_schema_set_up_first(
    compose: dict[str, Any],
) -> None:
    """auto-setup is deprecated: admin-tools sets the schema up, then the server starts."""
    services = compose["services"]
    assert not [n for n, svc in services.items() if "auto-setup" in svc.get("image", "")]
    versions = {
        services[name]["image"].split(":", 1)[1]
        for name in ("temporal", "temporal-schema", "temporal-setup")
    }
    assert len(versions) == 1  # the schema admin-tools applies is the server's own
    after = services["temporal"]["depends_on"]["temporal-schema"]["condition"]
    assert after == "service_completed_successfully"
    schema = services["temporal-schema"]["command"][0]
    for database, directory in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        assert f"{database}:{directory}" in schema
    assert "update-schema" in schema and "/etc/temporal/schema/postgresql/v12" in schema
    setup = services["temporal-setup"]["command"][0]
    assert "namespace create -n default" in setup  # auto-setup used to create it
    assert services["temporal-setup"]["depends_on"]["temporal"]["condition"] == "service_healthy"


def test_api_and_workers_start_only_after_migrations_and_search_attributes(
    compose: dict[str, Any],
) -> None:
    for name in ("api", "worker"):
        after = compose["services"][name]["depends_on"]
        assert after["seed"]["condition"] == "service_completed_successfully"
        assert after["temporal-setup"]["condition"] == "service_completed_successfully"
    migrate = compose["services"]["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_api_replicas_are_health_checked_on_healthz_and_scaled(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert any("/healthz" in part for part in api["healthcheck"]["test"])
    assert "replicas" in api["deploy"]
    assert "replicas" in compose["services"]["worker"]["deploy"]
    assert compose["services"]["proxy"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_proxy_sends_to_the_api_service_on_its_port(compose: dict[str, Any]) -> None:
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "server api:8000" in nginx
    assert "8000" in compose["services"]["api"]["expose"]


def test_hotline_is_configured_only_by_settings_that_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("${HOTLINE_IMAGE"):
            env = service["environment"]
            assert_known_settings(env.keys(), where=f"compose service {name}")
            assert env["HOTLINE_ENVIRONMENT"] == "production"
            assert "HOTLINE_SECRET_KEY" in env and "HOTLINE_DATABASE_URL" in env


def test_dockerfile_installs_the_project_and_runs_the_hotline_cli() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert 'ENTRYPOINT ["hotline"]' in dockerfile
    assert "HOTLINE_API_HOST=0.0.0.0" in dockerfile  # a container must listen beyond loopback
    assert "USER hotline" in dockerfile
    project = Path(__file__).resolve().parents[2]
    packages = (project / "pyproject.toml").read_text().split("packages = [", 1)[1]
    for package in packages.split("]", 1)[0].replace('"', "").split(","):
        assert f"COPY {package.strip()} ./{package.strip()}" in dockerfile


def test_the_image_installs_the_runtime_packages_and_so_the_reports_cjk_font() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY runtime-packages.txt" in dockerfile
    assert "apt-get install" in dockerfile and "runtime-packages.txt)" in dockerfile
    project = Path(__file__).resolve().parents[2]
    packages = [
        line.strip()
        for line in (project / "runtime-packages.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "fonts-wqy-zenhei" in packages
    if shutil.which("dpkg") is None:
        return
    # The package installs a file the report renderer looks for (analytics/fonts.py).
    files = subprocess.run(
        ["dpkg", "-L", "fonts-wqy-zenhei"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert any(Path(f) in DEBIAN_CJK_FONTS for f in files)


def test_the_stack_needs_a_real_secret_and_trusts_only_the_proxys_forwarded_for(
    compose: dict[str, Any],
) -> None:
    """Defects 6 and 7 of issue 13: no secret is shipped; X-Forwarded-For only from nginx."""
    env = compose["x-hotline"]["environment"]
    assert env["HOTLINE_SECRET_KEY"].startswith("${HOTLINE_SECRET_KEY:?")  # unset or empty: no
    assert "HOTLINE_SECRET_KEY=\n" in (DEPLOY / ".env.example").read_text()
    proxy = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert env["HOTLINE_TRUSTED_PROXIES"] == proxy
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy) in ipaddress.ip_network(subnet)
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in (DEPLOY / "nginx.conf").read_text()
