"""docker-compose.yaml parses, and every path, module and command it names exists (no container engine runs here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parents[1]
AIRFLOW_COMMANDS = {"api-server", "scheduler", "dag-processor", "triggerer"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text())


def test_every_airflow_component_and_the_emulator_is_a_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "alteryx-emulator", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"} == set(
        services
    )
    commands = {name: service["command"] for name, service in services.items() if name.startswith("airflow-") and name != "airflow-init"}
    assert {command[0] for command in commands.values()} == AIRFLOW_COMMANDS
    for service in (services[name] for name in commands):
        assert service["image"].startswith("apache/airflow:3.3")
        assert "postgresql" in service["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_mounted_paths_exist_in_the_repo(compose: dict[str, Any]) -> None:
    mounts = [volume.split(":")[0] for service in compose["services"].values() for volume in service.get("volumes", [])]
    local = [m for m in mounts if m.startswith(".")]
    assert local and all((REPO / m).exists() for m in local)
    assert (REPO / "example_dags" / "alteryx_sequential.py").is_file()


def test_the_emulator_command_and_the_connection_match(compose: dict[str, Any]) -> None:
    emulator = compose["services"]["alteryx-emulator"]
    command = emulator["command"]
    assert command[:3] == ["python", "-m", "airflow_provider_alteryx.emulator"]
    assert importlib.util.find_spec(command[2] + ".__main__") is not None
    from airflow_provider_alteryx.emulator.server import _parser

    parsed = _parser().parse_args(command[3:])  # the flags it passes are ones the emulator takes
    port = emulator["ports"][0].split(":")[1]
    assert str(parsed.port) == port
    connection = json.loads(compose["services"]["airflow-scheduler"]["environment"]["AIRFLOW_CONN_ALTERYX_DEFAULT"])
    assert connection["host"] == f"http://alteryx-emulator:{port}" and connection["conn_type"] == "alteryx"
    assert (connection["login"], connection["password"]) == (parsed.api_key, parsed.api_secret)


def test_the_pool_the_simultaneous_example_uses_is_created(compose: dict[str, Any]) -> None:
    init = " ".join(compose["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in init and "airflow pools set alteryx" in init
    assert 'pool="alteryx"' in (REPO / "example_dags" / "alteryx_simultaneous.py").read_text()
