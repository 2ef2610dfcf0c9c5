"""An emulator of the Alteryx Server REST API, for the demo, the tests and DAG development without a Server.

Its names are imported on first use (PEP 562), so that loading a submodule such as the pytest plugin
costs no import of ``aiohttp.web`` or YAML. YAML comes with the provider's ``emulator`` extra: without
it, the emulator's names and its command say which extra to install.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
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


# What only the emulator needs, which a plain install of the provider leaves out.
EXTRA_ONLY = frozenset({"yaml"})
MISSING_EXTRA = (
    "the Alteryx Server emulator needs PyYAML, which the provider installs only on request: "
    "pip install 'airflow-provider-alteryx[emulator]'"
)


def _submodule(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name not in EXTRA_ONLY:
            raise
        raise ModuleNotFoundError(MISSING_EXTRA, name=error.name) from error


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_submodule(module), name)


def main() -> int:
    """The ``alteryx-server-emulator`` command; without the ``emulator`` extra it says how to install it."""
    try:
        server = _submodule("server")
    except ModuleNotFoundError as error:
        if error.msg != MISSING_EXTRA:
            raise
        sys.exit(f"alteryx-server-emulator: error: {MISSING_EXTRA}")
    status: int = server.main()
    return status
