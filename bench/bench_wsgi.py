"""The bench's app for gunicorn: the database and index that search_bench.py filled (BENCH_WORKDIR)."""

from __future__ import annotations

import os
from pathlib import Path

from common import app_config

from marketplace import create_app

app = create_app(app_config(Path(os.environ["BENCH_WORKDIR"])))
app.logger.disabled = True
