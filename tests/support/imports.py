"""What a fresh interpreter loads: for tests that keep a heavy library out of a process (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def loaded(code: str, package: str) -> tuple[list[str], str]:
    """The modules of `package` loaded after running `code` in a new interpreter in the repository, and
    what it wrote to stderr (its log)."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == {package!r})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ), timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr
