"""Apache Airflow provider for Alteryx Server: run workflows, wait for their jobs, and a Server emulator."""

from __future__ import annotations

__version__ = "0.1.0"
