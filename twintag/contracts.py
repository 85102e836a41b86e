"""`twintag contracts`: verify providers against the consumers' pacts, and ask whether a service can be deployed.

The repository plays the part of a Pact Broker (docs/contracts.md):
- `contracts/pacts/<consumer>-<provider>.json`: what each consumer relies on, recorded by its own tests;
- `contracts/verifications/<provider>.json`: the latest verification of a provider's code against every pact
  naming it: the provider version, each pact file's hash, and pass/fail for each interaction.

`can-i-deploy SERVICE` reads only those files: no network, no broker.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
PACTS_DIR = REPO / "contracts" / "pacts"
VERIFICATIONS_DIR = REPO / "contracts" / "verifications"
PROVIDERS = ("users", "uploads", "recognition", "results")
SERVICES = ("gateway", *PROVIDERS)
STATES_PATH = "/_pact/provider-states"
UNREACHABLE = "http://127.0.0.1:9"  # a provider under verification must not call anything real


# --- pact files ---------------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class PactFile:
    """One consumer's pact with one provider."""

    path: Path
    consumer: str
    provider: str
    sha256: str
    interactions: tuple[dict, ...]

    @classmethod
    def load(cls, path: Path) -> PactFile:
        body = json.loads(Path(path).read_text())
        return cls(Path(path), body["consumer"]["name"], body["provider"]["name"], file_sha256(path),
                   tuple(body.get("interactions", ())))


def pact_files(pacts_dir: Path = PACTS_DIR) -> list[PactFile]:
    """Every pact file in the directory, sorted by name."""
    return [PactFile.load(path) for path in sorted(Path(pacts_dir).glob("*.json"))]


def interaction_key(interaction: dict) -> tuple[str, tuple[str, ...]]:
    """What identifies an interaction in a pact: its description and provider states."""
    return interaction["description"], tuple(s["name"] for s in interaction.get("providerStates", ()))


def describe(key: tuple[str, tuple[str, ...]]) -> str:
    description, states = key
    return f"'{description}'" + (f" (given {' and '.join(states)})" if states else "")


def pact_drift(recorded: Path, committed: Path) -> list[str]:
    """How a freshly recorded pact differs from the committed one (interactions only; [] when equal)."""
    if not Path(committed).exists():
        return [f"{committed} does not exist yet"]
    new = {interaction_key(i): i for i in PactFile.load(recorded).interactions}
    old = {interaction_key(i): i for i in PactFile.load(committed).interactions}
    changes = [f"new interaction {describe(k)}" for k in sorted(new.keys() - old.keys())]
    changes += [f"interaction no longer recorded {describe(k)}" for k in sorted(old.keys() - new.keys())]
    for key in sorted(new.keys() & old.keys()):
        if json.dumps(new[key], sort_keys=True) != json.dumps(old[key], sort_keys=True):
            changes.append(f"changed interaction {describe(key)}:\n  committed: {json.dumps(old[key], sort_keys=True)}"
                           f"\n  recorded:  {json.dumps(new[key], sort_keys=True)}")
    return changes


# --- provider versions --------------------------------------------------------------------------------------


def service_version(service: str, root: Path = REPO) -> str:
    """The VERSION in microservices/<service>/__init__.py (read as text: the root may be a copy)."""
    text = (Path(root) / "microservices" / service / "__init__.py").read_text()
    match = re.search(r'^VERSION\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    return match.group(1) if match else "0"


def source_sha256(service: str, root: Path = REPO) -> str:
    """A fingerprint of the code a service runs: its own folder and shared/ (any change there may change it)."""
    root = Path(root)
    digest = hashlib.sha256()
    files = [*(root / "microservices" / service).rglob("*.py"), *(root / "shared").rglob("*.py")]
    for path in sorted(f for f in files if "__pycache__" not in f.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def provider_version(service: str, root: Path = REPO) -> str:
    """The version a broker would be told: VERSION plus the code fingerprint (like a git sha)."""
    return f"{service_version(service, root)}+{source_sha256(service, root)[:12]}"


# --- running a provider -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProviderFailedToStart(RuntimeError):
    """The provider process exited or did not answer /healthz in time."""


@contextmanager
def running_provider(service: str, work_dir: Path, *, root: Path = REPO, timeout: float = 60.0) -> Iterator[str]:
    """Run `contracts.provider_server` for a service from `root` (the repository, or a patched copy of it)."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "TWINTAG_CONTRACT_TEST_MODE": "1", "TWINTAG_DATA_DIR": str(work_dir / "data"),
           "TWINTAG_SERVICE_SECRETS": f"uploads:{secrets.token_urlsafe(16)},recognition:{secrets.token_urlsafe(16)}",
           "PYTHONPATH": str(root), "TWINTAG_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for name in PROVIDERS:
        env[f"TWINTAG_{name.upper()}_URL"] = UNREACHABLE
    log_path = work_dir / f"{service}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "contracts.provider_server", service, "--port", str(port)],
                                   cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ProviderFailedToStart(f"exited with code {process.returncode}:\n{_tail(log_path)}")
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise ProviderFailedToStart(f"no answer on {url}/healthz within {timeout:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, chars: int = 3000) -> str:
    return Path(path).read_text(errors="replace")[-chars:] if Path(path).exists() else ""


# --- verification -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InteractionResult:
    description: str
    provider_states: tuple[str, ...]
    passed: bool
    mismatches: tuple[str, ...] = ()


@dataclass
class PactVerification:
    pact: PactFile
    interactions: list[InteractionResult]

    @property
    def passed(self) -> bool:
        return all(i.passed for i in self.interactions)


@dataclass
class Verification:
    """One provider's code checked against every pact naming it."""

    provider: str
    version: str
    source_sha256: str
    pacts: list[PactVerification] = field(default_factory=list)
    output: str = ""
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and all(p.passed for p in self.pacts)

    def failures(self) -> list[str]:
        """One line per broken interaction, naming the consumer it breaks."""
        lines = [f"{self.provider}: {self.error}"] if self.error else []
        for entry in self.pacts:
            for result in entry.interactions:
                if not result.passed:
                    key = (result.description, result.provider_states)
                    lines.append(f"{self.provider} {self.version} breaks consumer {entry.pact.consumer}: interaction "
                                 f"{describe(key)} in {entry.pact.path.name}: " + "; ".join(result.mismatches))
        return lines

    def report(self, *, with_output: bool = True) -> str:
        """A summary line, one line per broken interaction and (if it failed) the verifier's own output."""
        verdict = "PASSED" if self.passed else "FAILED"
        head = f"{self.provider} {self.version}: verification {verdict} against " + (
            ", ".join(f"{p.pact.consumer} ({len(p.interactions)} interactions)" for p in self.pacts) or "no pacts")
        output = [self.output] if with_output and not self.passed and self.output else []
        return "\n".join([head, *self.failures(), *output])

    def to_json(self) -> dict:
        return {
            "provider": self.provider,
            "provider_version": f"{self.version}+{self.source_sha256[:12]}",
            "version": self.version,
            "source_sha256": self.source_sha256,
            "passed": self.passed,
            "error": self.error or None,
            "pacts": [{
                "file": f"contracts/pacts/{p.pact.path.name}", "consumer": p.pact.consumer, "sha256": p.pact.sha256,
                "passed": p.passed,
                "interactions": [{"description": i.description, "provider_states": list(i.provider_states),
                                  "result": "pass" if i.passed else "fail", "mismatches": list(i.mismatches)}
                                 for i in p.interactions],
            } for p in self.pacts],
        }


def verify_provider(service: str, work_dir: Path, *, root: Path = REPO, pacts_dir: Path = PACTS_DIR) -> Verification:
    """Start the provider from `root` and replay every interaction of every pact that names it."""
    pacts = [p for p in pact_files(pacts_dir) if p.provider == service]
    verification = Verification(service, service_version(service, root), source_sha256(service, root))
    if not pacts:
        return verification
    try:
        with running_provider(service, work_dir, root=root) as url:
            results, verification.output = _replay(service, url, pacts)
    except ProviderFailedToStart as exc:
        verification.error = f"the provider did not start: {exc}"
        results = {}
    for pact in pacts:
        entries = []
        for interaction in pact.interactions:
            description, states = interaction_key(interaction)
            found = results.get((pact.consumer, description, states))
            if found is None:
                entries.append(InteractionResult(description, states, False, ("not verified",)))
            else:
                entries.append(InteractionResult(description, states, found[0], found[1]))
        verification.pacts.append(PactVerification(pact, entries))
    return verification


def _replay(service: str, url: str, pacts: list[PactFile]) -> tuple[dict, str]:
    """Run the Pact verifier; return {(consumer, description, states): (passed, mismatches)} and its output."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # no usage statistics sent from the pact core
    from pact import Verifier  # pact-python: needed only here, not by can-i-deploy

    verifier = (Verifier(service, host="127.0.0.1").add_transport(url=url)
                .state_handler(f"{url}{STATES_PATH}", teardown=False, body=True)
                .set_request_timeout(15_000).set_coloured_output(enabled=False))
    for pact in pacts:
        verifier.add_source(pact.path)
    try:
        verifier.verify()
    except RuntimeError:
        pass  # failures are read from the results below
    results = {}
    for item in verifier.results.get("interactionResults", []):
        key = (item.get("consumer", ""), item.get("description", ""), tuple(item.get("providerStates") or ()))
        passed = str(item.get("result", "")).lower() == "ok"
        results[key] = (passed, tuple(_mismatches(item.get("mismatch"))) if not passed else ())
    return results, verifier.output(strip_ansi=True)


def _mismatches(mismatch: dict | None) -> list[str]:
    if not mismatch:
        return ["failed"]
    if mismatch.get("mismatches"):
        return [f"{m.get('path', '')} {m.get('mismatch') or json.dumps(m)}".strip() for m in mismatch["mismatches"]]
    return [str(mismatch.get("message") or mismatch.get("error") or json.dumps(mismatch))]


def write_verification(verification: Verification, directory: Path = VERIFICATIONS_DIR) -> Path:
    """Record the latest verification (written whole, then renamed: readers never see half a file)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{verification.provider}.json"
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(verification.to_json(), indent=2) + "\n")
    temporary.replace(path)
    return path


# --- can I deploy? ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixRow:
    consumer: str
    provider: str
    interactions: int
    ok: bool
    verdict: str


def _row(pact: PactFile, verifications_dir: Path, root: Path) -> MatrixRow:
    def row(ok: bool, verdict: str) -> MatrixRow:
        return MatrixRow(pact.consumer, pact.provider, len(pact.interactions), ok, verdict)

    path = Path(verifications_dir) / f"{pact.provider}.json"
    if not path.exists():
        return row(False, f"never verified: run `twintag contracts verify {pact.provider}`")
    recorded = json.loads(path.read_text())
    entry = next((p for p in recorded.get("pacts", []) if p.get("file", "").endswith("/" + pact.path.name)), None)
    if entry is None:
        return row(False, f"pact not verified yet: run `twintag contracts verify {pact.provider}`")
    if entry.get("sha256") != pact.sha256:
        return row(False, "pact changed since the last verification: "
                          f"run `twintag contracts verify {pact.provider}`")
    current = provider_version(pact.provider, root)
    if recorded.get("provider_version") != current:
        return row(False, f"verified {recorded.get('provider_version')}, but the code is now {current}: "
                          f"run `twintag contracts verify {pact.provider}`")
    failed = [i for i in entry.get("interactions", []) if i.get("result") != "pass"]
    if failed:
        names = "; ".join(f"'{i['description']}': {' '.join(i.get('mismatches', []))}" for i in failed)
        return row(False, f"FAILS {len(failed)} of {len(entry['interactions'])}: {names}")
    return row(True, f"verified {current}")


def deployment_matrix(service: str, *, pacts_dir: Path = PACTS_DIR, verifications_dir: Path = VERIFICATIONS_DIR,
                      root: Path = REPO) -> list[MatrixRow]:
    """Every pact the service is part of: as provider (its consumers) and as consumer (its providers)."""
    pacts = [p for p in pact_files(pacts_dir) if service in (p.consumer, p.provider)]
    return [_row(p, verifications_dir, root) for p in sorted(pacts, key=lambda p: (p.provider != service,
                                                                                    p.consumer, p.provider))]


def format_matrix(rows: list[MatrixRow]) -> str:
    header = ("consumer", "provider", "interactions", "verdict")
    table = [header, *((r.consumer, r.provider, str(r.interactions), ("ok  " if r.ok else "NO  ") + r.verdict)
                       for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in table)


def can_i_deploy(args: argparse.Namespace) -> int:
    rows = deployment_matrix(args.service, pacts_dir=Path(args.pacts_dir),
                             verifications_dir=Path(args.verifications_dir))
    print(format_matrix(rows) if rows else f"{args.service} takes part in no pact.")
    ok = all(r.ok for r in rows)
    print(f"\ncan {args.service} be deployed? {'yes' if ok else 'NO'}"
          + ("" if ok else f" ({sum(not r.ok for r in rows)} of {len(rows)} pacts not satisfied)"))
    return 0 if ok else 1


def verify(args: argparse.Namespace) -> int:
    import tempfile

    unknown = sorted(set(args.services) - set(PROVIDERS))
    if unknown:
        print(f"not a provider: {', '.join(unknown)} (providers: {', '.join(PROVIDERS)})", file=sys.stderr)
        return 2
    status = 0
    for service in args.services or PROVIDERS:
        with tempfile.TemporaryDirectory(prefix=f"twintag-verify-{service}-") as work:
            verification = verify_provider(service, Path(work), pacts_dir=Path(args.pacts_dir))
        print(verification.report(with_output=False))  # the verifier has printed its own details above
        if not args.dry_run:
            print(f"  recorded in {write_verification(verification, Path(args.verifications_dir))}")
        status |= 0 if verification.passed else 1
    return status


def record(args: argparse.Namespace) -> int:
    """Re-run the consumer tests and rewrite the pact files from what they record."""
    env = {**os.environ, "TWINTAG_RECORD_PACTS": "1"}
    command = [sys.executable, "-m", "pytest", "tests/contracts/consumers", "-q", "-m", "contracts"]
    return subprocess.call(command, cwd=REPO, env=env)


def add_parser(commands) -> None:
    """Add `twintag contracts ...` to the CLI's subcommands."""
    parser = commands.add_parser("contracts", help="consumer-driven contracts: record, verify, can-i-deploy")
    sub = parser.add_subparsers(dest="contracts_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--pacts-dir", default=str(PACTS_DIR))
    common.add_argument("--verifications-dir", default=str(VERIFICATIONS_DIR))
    ask = sub.add_parser("can-i-deploy", parents=[common], help="does this service's code satisfy every pact?")
    ask.add_argument("service", choices=SERVICES)
    ask.set_defaults(func=can_i_deploy)
    check = sub.add_parser("verify", parents=[common], help="verify providers against their consumers' pacts")
    check.add_argument("services", nargs="*", metavar="SERVICE",
                       help=f"providers to verify: {', '.join(PROVIDERS)} (default: all)")
    check.add_argument("--dry-run", action="store_true", help="do not record the results")
    check.set_defaults(func=verify)
    rec = sub.add_parser("record", help="re-run the consumer tests and rewrite contracts/pacts/")
    rec.set_defaults(func=record)
