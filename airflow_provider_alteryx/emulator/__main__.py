from __future__ import annotations

import sys

from airflow_provider_alteryx.emulator import main

sys.exit(main())
