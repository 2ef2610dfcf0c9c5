"""Fixtures shared by the whole suite: emulators over real HTTP and an Airflow connection pointing at them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from airflow_provider_alteryx.emulator import EmulatorConfig, RunningEmulator, load_catalogue, run_emulator
from airflow_provider_alteryx.emulator.catalogue import Workflow

TEST_CATALOGUE = Path(__file__).with_name("catalogue.yaml")
QUICK, REGIONAL, WARNS, SLOW = (f"0000000000000000000000a{i}" for i in range(1, 5))
# Server versions and the auth type a client uses with each.
VERSION_AUTH = [("2021.3", "oauth1"), ("2021.4", "oauth1"), ("2021.4", "oauth2"), ("2022.1", "oauth2"), ("2023.1", "oauth2"), ("2025.1", "oauth2")]

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


@pytest.fixture(scope="session")
def workflows() -> tuple[Workflow, ...]:
    return load_catalogue(TEST_CATALOGUE)


StartEmulator = Callable[..., RunningEmulator]


@pytest.fixture
def start_emulator(workflows: tuple[Workflow, ...]) -> Iterator[StartEmulator]:
    """Start emulators (stopped after the test): ``start_emulator(server_version="2022.1", workers=1, ...)``."""
    with ExitStack() as stack:

        def start(**overrides: object) -> RunningEmulator:
            config = EmulatorConfig(workflows=workflows, **overrides)  # type: ignore[arg-type]
            return stack.enter_context(run_emulator(config))

        yield start


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> RunningEmulator:
    """A 2025.1 emulator serving the test catalogue."""
    return start_emulator()


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    from airflow_provider_alteryx.hooks import api
    from airflow_provider_alteryx.hooks.auth import TOKENS

    yield
    TOKENS.clear()
    api._SERVERS_WITHOUT_V3.clear()


@pytest.fixture
def use_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Point ``alteryx_default`` at an emulator: ``use_connection(emulator, auth_type="oauth1")``."""

    def point(emulator: RunningEmulator, auth_type: str | None = None, conn_id: str = "alteryx_default") -> None:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", emulator.connection(auth_type))

    return point
