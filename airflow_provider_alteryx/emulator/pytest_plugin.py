"""A pytest fixture that runs the bundled emulator (registered as a pytest plugin through the ``pytest11`` entry point).

Use it in your own DAG tests::

    def test_my_dag(alteryx_emulator):
        os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"] = alteryx_emulator.connection()

Every pytest session in an environment with the provider installed loads this module, so it imports
nothing but pytest (already loaded) at start-up: the emulator, ``aiohttp.web`` and YAML are imported
only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_alteryx.emulator.server import RunningEmulator


@pytest.fixture(scope="session")
def alteryx_emulator() -> Iterator[RunningEmulator]:
    """An emulated Alteryx Server (the newest version emulated) serving the bundled demo catalogue."""
    from airflow_provider_alteryx.emulator.server import run_emulator

    with run_emulator() as emulator:
        yield emulator
