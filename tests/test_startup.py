"""Start-up cost: every CLI command imports the CLI and registers every tool, so none of that may pull in
the heavy libraries (scikit-learn/scipy ~1.5 s, plotly ~0.6 s, openai ~0.8 s, faker). They load inside the
functions that use them; a module-level import slipping back makes `promopilot --help` seconds slower."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sklearn", "scipy", "plotly", "kneed", "threadpoolctl", "openai", "faker")


def test_cli_and_tool_registration_load_no_heavy_library():
    code = (
        "import sys, cli, cli.commands; from tools.registry import load_all; load_all(); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
