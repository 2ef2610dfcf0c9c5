"""``python -m airflow_provider_alteryx.cli``: the ``alteryx-airflow`` command without its console script."""

import sys

from airflow_provider_alteryx.cli import main

sys.exit(main())
