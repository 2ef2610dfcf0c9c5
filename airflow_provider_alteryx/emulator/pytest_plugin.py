"""A pytest fixture that runs the bundled emulator for a test session (registered as a pytest plugin).

Use it in your own DAG tests::

    def test_my_dag(alteryx_emulator):
        os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"] = alteryx_emulator.connection()
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_alteryx.emulator.server import RunningEmulator, run_emulator


@pytest.fixture(scope="session")
def alteryx_emulator() -> Iterator[RunningEmulator]:
    """An emulated Alteryx Server 2025.1 serving the bundled demo catalogue."""
    with run_emulator() as emulator:
        yield emulator
