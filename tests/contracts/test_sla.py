"""SLOs next to each contract, and `twintag sla check`, which holds a running deployment to them."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pytest
import yaml

from monolith.app import create_app
from monolith.bootstrap import prepare
from shared.settings import settings_in
from tests.support.loopback import LoopbackServer
from twintag import sla

pytestmark = pytest.mark.contracts
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "users", "uploads", "recognition", "results")


def metrics(ok: tuple[float, float, float], failed: float = 0.0, service: str = "results") -> str:
    """A Prometheus exposition of GET /v1/tags: `ok` requests cumulated at 10 ms, 100 ms and 1 s; `failed` 503s."""
    name, labels = "twintag_http_request_duration_seconds", f'method="GET",route="/v1/tags",service="{service}"'
    lines = [f"# TYPE {name} histogram"]
    for status, counts in (("200", (*ok, ok[-1])), ("503", (0.0, 0.0, 0.0, failed))):
        for le, count in zip(("0.01", "0.1", "1.0", "+Inf"), counts, strict=True):
            lines.append(f'{name}_bucket{{le="{le}",{labels},status="{status}"}} {count}')
        lines.append(f'{name}_count{{{labels},status="{status}"}} {counts[-1]}')
        lines.append(f'{name}_sum{{{labels},status="{status}"}} 1.0')
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser()
    sla.add_parser(root.add_subparsers(dest="command", required=True))
    return root


@pytest.mark.parametrize("service", SERVICES)
def test_each_slo_names_documented_endpoints_with_ordered_budgets(service):
    slo = sla.Slo.load(ROOT / "microservices" / service / "slo.yaml")
    assert slo.service == service and 0 < slo.availability < 100
    assert slo.error_budget == pytest.approx(100 - slo.availability)
    assert "why these numbers" in (ROOT / "microservices" / service / "slo.yaml").read_text().lower()
    document = yaml.safe_load((ROOT / "microservices" / service / "openapi.yaml").read_text())
    public = yaml.safe_load((ROOT / "shared/api/openapi.yaml").read_text())
    paths = {**document["paths"], **public["paths"]}  # the gateway's document refers to the public one
    for objective in slo.objectives:
        method, _, path = objective.endpoint.partition(" ")
        assert method.lower() in paths.get(path, {}), f"{objective.endpoint} is not in {service}'s contract"
        assert 0 < objective.p50 <= objective.p95 <= objective.p99


def test_quantiles_interpolate_inside_a_bucket_like_promql():
    buckets = {0.01: 50.0, 0.1: 90.0, 1.0: 100.0, math.inf: 100.0}
    assert sla.quantile(buckets, 0.5) == pytest.approx(0.01)
    assert sla.quantile(buckets, 0.7) == pytest.approx(0.01 + 0.09 * 0.5)
    assert sla.quantile({0.1: 0.0, math.inf: 4.0}, 0.99) == math.inf


def test_server_side_counts_only_this_runs_requests_and_5xx_as_errors():
    before = sla.parse_histograms(metrics((40, 49, 50)))
    measured = sla.server_side(sla.difference(sla.parse_histograms(metrics((80, 98, 100), 2)), before), "results")
    tags = measured[("GET", "/v1/tags")]
    assert (tags.count, tags.errors) == (52, 2)
    assert tags.ms["p50"] < 10 and math.isinf(tags.ms["p99"])


def test_verdicts_breach_only_with_enough_samples():
    slo = sla.Slo("results", 99.0, 1.0, 0, 1, 20, (sla.Objective("GET /v1/tags", 5, 50, 500),))
    fast = sla.Measurement(100, 0, {"p50": 4.0, "p95": 40.0, "p99": 90.0})
    slow = sla.Measurement(100, 3, {"p50": 4.0, "p95": 60.0, "p99": 90.0})
    few = sla.Measurement(5, 0, {"p50": 400.0, "p95": 400.0, "p99": 400.0})
    assert sla.latency_rows(slo, "results", "server", {("GET", "/v1/tags"): fast})[0].verdict == "ok"
    assert sla.latency_rows(slo, "results", "server", {("GET", "/v1/tags"): slow})[0].verdict == "BREACH p95"
    assert sla.latency_rows(slo, "results", "server", {("GET", "/v1/tags"): few})[0].verdict == "n/a"
    assert sla.availability_row(slo, "results", "server", {"x": slow}).breach
    assert not sla.availability_row(slo, "results", "server", {"x": fast}).breach


@pytest.fixture
def monolith(tmp_path, monkeypatch):
    """A monolith served on loopback (no recognition threads: uploads stay pending), with /metrics."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings = settings_in(tmp_path / "data")
    prepare(settings)
    app = create_app(settings)
    server = LoopbackServer(app)
    yield server.url
    server.close()
    app.extensions["twintag.monolith"].engine.dispose()


def test_sla_check_drives_a_short_load_and_fails_on_a_breach(monolith, tmp_path, capsys):
    slo_dir = tmp_path / "slo"
    (slo_dir / "gateway").mkdir(parents=True)
    public = yaml.safe_load((ROOT / "microservices/gateway/slo.yaml").read_text())
    public["min_samples"] = 2  # each of the 2 users registers once; a list of images comes ~10 times more often
    public["endpoints"] = {"POST /api/v1/users": {"p50_ms": 5000, "p95_ms": 8000, "p99_ms": 9000},
                           "GET /api/v1/images": {"p50_ms": 0.001, "p95_ms": 0.001, "p99_ms": 0.001}}
    (slo_dir / "gateway" / "slo.yaml").write_text(yaml.safe_dump(public))
    args = parser().parse_args(["sla", "check", "--host", monolith, "--variant", "monolith", "--duration", "4",
                                "--users", "2", "--rate", "10", "--slo-dir", str(slo_dir)])
    assert args.func(args) == 1
    table = capsys.readouterr().out
    rows = {tuple(cell for cell in line.split("  ") if cell)[:3]: line.rstrip() for line in table.splitlines()}
    for source in ("client", "server"):
        assert rows[("monolith", "POST /api/v1/users", source)].endswith(" ok")
        assert rows[("monolith", "GET /api/v1/images", source)].endswith("BREACH p50,p95,p99")
        assert rows[("monolith", "all requests", source)].endswith(" ok")
    assert "2 objective(s) breached" in table


def test_sla_check_exits_zero_when_every_objective_is_met(monkeypatch, tmp_path, capsys):
    stats = tmp_path / "sla_stats.csv"
    stats.write_text('Type,Name,Request Count,Failure Count,50%,95%,99%\n'
                     'GET,GET /v1/tags,100,0,4,40,90\n,Aggregated,100,0,4,40,90\n')
    scrapes = iter([{}, sla.parse_histograms(metrics((80, 98, 100), service="monolith"))])
    monkeypatch.setattr(sla, "scrape", lambda url: next(scrapes))
    monkeypatch.setattr(sla, "run_load", lambda host, **kwargs: stats)
    slo_dir = tmp_path / "slo"
    (slo_dir / "gateway").mkdir(parents=True)
    (slo_dir / "gateway" / "slo.yaml").write_text(yaml.safe_dump({
        "service": "gateway", "availability_percent": 99.5, "error_budget_percent": 0.5, "min_samples": 20,
        "load": {"users": 1, "requests_per_second": 1},
        "endpoints": {"GET /v1/tags": {"p50_ms": 10, "p95_ms": 100, "p99_ms": 1000}}}))
    args = parser().parse_args(["sla", "check", "--host", "http://127.0.0.1:1", "--variant", "monolith",
                                "--slo-dir", str(slo_dir)])
    assert args.func(args) == 0
    assert "every objective met" in capsys.readouterr().out
