"""An emulator of the Alteryx Server REST API, for the demo, the tests and DAG development without a Server.

Its names are imported on first use (PEP 562), so that loading a submodule such as the pytest plugin,
which every pytest session in an environment with the provider does, costs no import of
``aiohttp.web`` or YAML.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_alteryx.emulator.catalogue import CatalogueError, load_catalogue
    from airflow_provider_alteryx.emulator.config import EmulatorConfig, Role
    from airflow_provider_alteryx.emulator.faults import Faults
    from airflow_provider_alteryx.emulator.server import RunningEmulator, run_emulator
    from airflow_provider_alteryx.emulator.variants import Variants
    from airflow_provider_alteryx.emulator.versions import SERVER_VERSIONS

_EXPORTS = {
    "CatalogueError": "catalogue",
    "load_catalogue": "catalogue",
    "EmulatorConfig": "config",
    "Role": "config",
    "Faults": "faults",
    "RunningEmulator": "server",
    "run_emulator": "server",
    "Variants": "variants",
    "SERVER_VERSIONS": "versions",
}
__all__ = [
    "SERVER_VERSIONS",
    "CatalogueError",
    "EmulatorConfig",
    "Faults",
    "Role",
    "RunningEmulator",
    "Variants",
    "load_catalogue",
    "run_emulator",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
