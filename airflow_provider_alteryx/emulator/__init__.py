"""An emulator of the Alteryx Server REST API, for the demo, the tests and DAG development without a Server."""

from __future__ import annotations

from airflow_provider_alteryx.emulator.app import SERVER_VERSIONS, EmulatorConfig
from airflow_provider_alteryx.emulator.catalogue import CatalogueError, load_catalogue
from airflow_provider_alteryx.emulator.faults import Faults
from airflow_provider_alteryx.emulator.server import RunningEmulator, run_emulator

__all__ = ["SERVER_VERSIONS", "CatalogueError", "EmulatorConfig", "Faults", "RunningEmulator", "load_catalogue", "run_emulator"]
