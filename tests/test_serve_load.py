"""The dev server under load on loopback: 50 clients for 20 s while rebuilds run, and not one failed request.

The load is driven by ``benchmarks/serve_load.py`` (the same code as the benchmark command); the
site is smaller than the benchmark's so the whole test stays around 30 s.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
CLIENTS = 50
SECONDS = 20.0
ARTICLES = 60  # a small site: the first build (encoder load) and every rebuild take about a second or two


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve_load", REPO / "benchmarks" / "serve_load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def loopback() -> None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
    except OSError as exc:
        pytest.skip(f"cannot bind a loopback port: {exc}")


def test_fifty_clients_for_twenty_seconds_while_rebuilding(loopback: None, tmp_path: Path) -> None:
    bench = _benchmark()
    site = bench.generate(tmp_path / "site", ARTICLES)
    result = bench.run_load(site, clients=CLIENTS, seconds=SECONDS)
    table = bench.format_table(result)
    assert result.failed == 0, f"{result.failures[:10]}\n{table}"
    assert result.requests > 1000, table
    assert result.rebuilds >= 3, table
    assert result.failed_builds == 0, table
    assert {"html", "json", "css", "head", "missing", "events"} <= set(result.kinds), table
