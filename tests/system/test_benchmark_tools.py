"""The benchmark tools run end to end in their quick modes, print a table and write their reports (nothing timed)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.system, pytest.mark.slow]


def run_tool(script: str, *args: str, timeout: float = 240.0) -> str:
    """Run a loadtests script as a user would, from the repo root; return its output or fail with it."""
    done = subprocess.run([sys.executable, f"loadtests/{script}", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{script} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_bench_pipeline_quick_prints_a_table_and_writes_its_report(tmp_path, model_cache):
    out = tmp_path / "pipeline.json"
    stdout = run_tool("bench_pipeline.py", "--quick", "--variant", "monolith", "--out", str(out),
                      "--model-cache", str(model_cache))

    assert "| figure | monolith |" in stdout
    assert "upload -> tags p95 (ms)" in stdout
    report = json.loads(out.read_text())
    monolith = report["variants"]["monolith"]
    assert monolith["startup_s"] > 0
    assert monolith["memory_idle"]["total"]["rss"] > 0
    assert monolith["upload_to_tags"]["done"] == monolith["upload_to_tags"]["uploads"]
    # A quick run's few jobs can all end between two samples, so only the rate since the restart is certain.
    assert monolith["queue"]["finished"] and monolith["queue"]["images_per_s_from_restart"] > 0


def test_compare_quick_prints_a_table_and_writes_its_reports(tmp_path, model_cache):
    # With the gateway's tag cache off every read makes both calls, so the per-hop figures see two hops.
    stdout = run_tool("compare.py", "--quick", "--gateway-tag-cache", "0", "--out-dir", str(tmp_path),
                      "--model-cache", str(model_cache))

    assert "| figure | monolith | microservices | ratio µ/m |" in stdout
    assert "added p50 per gateway -> service hop" in stdout
    markdown = (tmp_path / "comparison.md").read_text()
    assert "## Per-hop latency" in markdown and "GET /api/v1/images/{id}" in markdown
    summary = json.loads((tmp_path / "comparison.json").read_text())["summary"]
    for variant in ("monolith", "microservices"):
        assert summary[variant]["reads"]["throughput_rps"] > 0
        assert summary[variant]["mixed"]["requests"] > 0
    assert summary["hop"]["hops_per_request"] >= 2  # uploads and results behind the gateway
    assert summary["hop"]["gateway_waited_per_hop_ms"] > 0  # the gateway's client-side histogram was read
    assert "Gateway tag cache: off" in markdown
    if importlib.util.find_spec("matplotlib") is None:
        return  # compare.py says so and writes no charts
    assert sorted(p.name for p in tmp_path.glob("comparison-*.png")) == [
        "comparison-latency.png", "comparison-resources.png", "comparison-throughput.png"]


def test_bench_hop_measures_an_empty_hop_and_writes_its_report(tmp_path):
    out = tmp_path / "hop-floor.json"
    stdout = run_tool("bench_hop.py", "--requests", "60", "--rounds", "2", "--out", str(out))

    assert "added p50 per hop (ms)" in stdout and "httpx CPU per call in the caller (ms)" in stdout
    report = json.loads(out.read_text())
    assert report["requests_per_target"] == 120
    # The relay answers only after its own call to the leaf has been answered, so it cannot be the faster one.
    assert report["relay_min_ms"] > report["leaf_min_ms"]
    cpu = report["server_cpu_ms_per_request"]
    assert cpu["relay"]["relay"] > 0 and cpu["relay"]["leaf"] > 0  # both processes worked for each relayed GET
    assert cpu["leaf"]["relay"] < cpu["leaf"]["leaf"]  # asked directly, the relay is idle
    assert report["httpx_cpu_ms_per_call"] > 0 and report["flask_cpu_ms_per_request"] > 0


def test_overload_runs_both_settings_and_accounts_for_every_request(tmp_path, model_cache):
    out = tmp_path / "overload.json"
    stdout = run_tool("overload.py", "--seconds", "1", "--out", str(out), "--model-cache", str(model_cache))

    assert "overload at 2C: answers 200 / 503 / other" in stdout
    results = json.loads(out.read_text())["results"]
    assert list(results) == ["shedding on (as shipped)", "shedding off (TWINTAG_MAX_QUEUED_REQUESTS=0)"]
    for result in results.values():
        assert result["capacity_rps"] > 0
        for phase in ("baseline", "overload"):
            assert sum(result[phase]["answers"].values()) == result[phase]["sent"] > 0  # every request answered
    assert "503" not in results["shedding off (TWINTAG_MAX_QUEUED_REQUESTS=0)"]["overload"]["answers"]


def test_soak_accounts_for_every_upload_and_samples_memory(tmp_path, model_cache):
    out = tmp_path / "soak.json"
    stdout = run_tool("soak.py", "--minutes", "0.25", "--sample-seconds", "2", "--out", str(out),
                      "--model-cache", str(model_cache))

    assert "accepted uploads lost (bar: 0)" in stdout
    report = json.loads(out.read_text())
    assert report["uploads"]["sent"] == 15 and report["uploads"]["accepted"] == 15
    assert report["lost"] == 0 and report["drained"] is True  # every accepted upload was recognised
    assert sum(report["reads"]["answers"].values()) == report["reads"]["sent"] > 0
    assert len(report["samples"]) >= 3 and all(s["rss_mib"] > 0 for s in report["samples"])
