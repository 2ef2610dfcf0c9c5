"""A pytest fixture that runs the bundled emulator, for your own DAG tests. It is opt-in, so pytest sessions
that do not ask for it never load it: name it in a ``conftest.py`` (``pytest_plugins =
["airflow_provider_alteryx.emulator.pytest_plugin"]``) or on the command line (``pytest -p
airflow_provider_alteryx.emulator.pytest_plugin``), then::

    def test_my_dag(alteryx_emulator):
        os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"] = alteryx_emulator.connection()

It imports nothing but pytest (already loaded) at start-up: the emulator, ``aiohttp.web`` and YAML are
imported only when a test asks for the fixture, which needs the provider's ``emulator`` extra.
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
    from airflow_provider_alteryx.emulator import run_emulator

    with run_emulator() as emulator:
        yield emulator
