"""docker-compose.yaml parses, and every path, module and command it names exists (no container engine runs here)."""

from __future__ import annotations

import importlib.util
import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow.cli.cli_parser import get_parser

from dev.stack import (
    AIRFLOW_SETTINGS,
    CELERY_WORKERS,
    COMPONENTS,
    EXECUTOR_CLASSES,
    Executor,
    coordination_env,
)

REPO = Path(__file__).parents[1]
# Compose v1 renders and validates the file without a container engine (no Compose v2 plugin here).
COMPOSE = shutil.which("docker-compose")
AIRFLOW_COMMANDS = {"api-server", "scheduler", "dag-processor", "triggerer", "celery"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text())


def test_every_airflow_component_and_the_emulator_is_a_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    airflow = {f"airflow-{name}" for name in {**COMPONENTS, **CELERY_WORKERS}}
    assert {"postgres", "redis", "alteryx-emulator", "airflow-init", *airflow} == set(services)
    commands = {name: service["command"] for name, service in services.items() if name in airflow}
    assert {command[0] for command in commands.values()} == AIRFLOW_COMMANDS
    for service in (services[name] for name in commands):
        assert service["image"].startswith("apache/airflow:3.3")
        assert "postgresql" in service["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_the_components_are_those_make_stack_runs(compose: dict[str, Any]) -> None:
    """Same processes, same commands, same shared settings as dev/stack.py: the compose file cannot drift from the tested stack."""
    services = compose["services"]
    for name, command in COMPONENTS.items():
        assert (
            services[f"airflow-{name}"]["command"] == list(command)
            and "profiles" not in services[f"airflow-{name}"]
        )
    for name, command in CELERY_WORKERS.items():
        assert services[f"airflow-{name}"]["command"] == list(command) and services[f"airflow-{name}"][
            "profiles"
        ] == ["celery"]
    assert services["redis"]["profiles"] == ["celery"]
    assert sum(command == ("triggerer",) for command in COMPONENTS.values()) == 2
    for service in (services[f"airflow-{name}"] for name in {**COMPONENTS, **CELERY_WORKERS}):
        environment = service["environment"]
        assert {key: environment.get(key) for key in AIRFLOW_SETTINGS} == AIRFLOW_SETTINGS
        # The executor is chosen when starting, as `make stack EXECUTOR=...` does; LocalExecutor unless told otherwise.
        assert (
            environment["AIRFLOW__CORE__EXECUTOR"]
            == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
            == f"${{AIRFLOW_EXECUTOR:-{EXECUTOR_CLASSES[Executor.LOCAL]}}}"
        )
        assert environment["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")


@pytest.mark.skipif(COMPOSE is None, reason="Compose v1 (Debian's docker-compose) is not installed")
@pytest.mark.parametrize("profile", [[], ["--profile", "celery"]])
def test_compose_renders_the_file(profile: list[str]) -> None:
    assert COMPOSE is not None
    rendered = subprocess.run(
        [COMPOSE, "-f", str(REPO / "docker-compose.yaml"), *profile, "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr


def test_mounted_paths_exist_in_the_repo(compose: dict[str, Any]) -> None:
    mounts = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
    ]
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
    connection = json.loads(
        compose["services"]["airflow-scheduler"]["environment"]["AIRFLOW_CONN_ALTERYX_DEFAULT"]
    )
    assert connection["host"] == f"http://alteryx-emulator:{port}" and connection["conn_type"] == "alteryx"
    assert (connection["login"], connection["password"]) == (parsed.api_key, parsed.api_secret)


def test_celery_workers_take_turns_through_redis_as_make_stack_s_do(compose: dict[str, Any]) -> None:
    """Workers in separate containers share no disk: their creations must take turns through the profile's Redis."""
    services = compose["services"]
    expected = coordination_env(
        services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_ALTERYX_DEFAULT"], "redis", 6379
    )
    for name in CELERY_WORKERS:
        environment = services[f"airflow-{name}"]["environment"]
        assert {key: json.loads(environment[key]) for key in expected} == {
            key: json.loads(value) for key, value in expected.items()
        }
        assert environment["_PIP_ADDITIONAL_REQUIREMENTS"].endswith("[redis]")


def test_the_pool_the_simultaneous_example_uses_is_created_counting_deferred_tasks(
    compose: dict[str, Any],
) -> None:
    """Without include_deferred a deferred task frees its slot, and the pool caps creations, not jobs in flight."""
    command = compose["services"]["airflow-init"]["command"]
    assert command[:2] == ["bash", "-c"]
    steps = [shlex.split(step) for step in command[2].split("&&")]
    assert ["airflow", "db", "migrate"] in steps
    (pool,) = [step[1:] for step in steps if step[1:3] == ["pools", "set"]]
    created = get_parser().parse_args(pool)  # read as Airflow's own command line reads it
    assert (created.pool, created.include_deferred) == ("alteryx", True)
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]  # Airflow 2
    dag = DagBag(dag_folder=str(REPO / "example_dags" / "alteryx_simultaneous.py")).dags[
        "alteryx_simultaneous"
    ]
    assert {task.pool for task in dag.tasks} == {"alteryx"}
