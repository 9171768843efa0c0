"""What building the app costs a starting server process, checked in a fresh
interpreter: the libraries only some requests need load when first used."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from afterward.app import create_app
from afterward.config import Settings
from afterward.storage.db import Database
url = "sqlite:///" + sys.argv[1]
create_app(Settings(database_url=url, secret_key="k" * 32), Database(url))
print(json.dumps(sorted({"numpy", "scipy", "reportlab"} & set(sys.modules))))
"""


def test_building_the_app_loads_neither_numpy_nor_reportlab(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "app.db")],
                          capture_output=True, text=True, check=True, timeout=60)

    assert json.loads(done.stdout) == []
