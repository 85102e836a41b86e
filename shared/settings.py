"""Settings: every environment variable is read here, once, into a frozen object with local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "TWINTAG_"


@dataclass(frozen=True)
class Settings:
    """Configuration of one TwinTag process (the monolith, or one service)."""

    data_dir: Path = Path("data")
    database_url: str = ""
    object_store_dir: Path = Path()
    signing_key_path: Path = Path()
    model_cache_dir: Path = Path()
    max_upload_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    token_ttl_seconds: int = 3600
    token_issuer: str = "twintag"
    token_audience: str = "twintag"
    login_max_failures: int = 5
    login_window_seconds: int = 300
    recognizer: str = "efficientnet"
    clarifai_url: str = ""
    clarifai_api_key: str = ""
    recognition_threads: int = 1
    recognition_max_attempts: int = 4
    recognition_lease_seconds: float = 60.0
    log_level: str = "INFO"
    users_url: str = "http://127.0.0.1:8101"
    uploads_url: str = "http://127.0.0.1:8102"
    recognition_url: str = "http://127.0.0.1:8103"
    results_url: str = "http://127.0.0.1:8104"
    http_timeout: float = 5.0
    gateway_tag_cache: int = 4096  # finished images whose tags the gateway remembers; 0 asks results every time
    service_secret: str = ""
    service_secrets: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, database_name: str = "monolith") -> Settings:
        """Read TWINTAG_* variables; paths default to files under TWINTAG_DATA_DIR (./data)."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(PREFIX + "DATA_DIR", "data")).absolute()
        values = {name: _convert(cls, name, env[PREFIX + name.upper()])
                  for name in cls.__dataclass_fields__ if name != "extra" and PREFIX + name.upper() in env}
        return cls(**{**with_paths(data_dir, database_name), **values,
                      "extra": {k: v for k, v in env.items() if k.startswith(PREFIX)}})

    def for_tests(self, **changes) -> Settings:
        """Return a copy with some values changed."""
        return type(self)(**{**self.__dict__, **changes})


def with_paths(data_dir: Path, database_name: str) -> dict:
    """Default locations of the database, objects, keys and model cache under one data directory."""
    return {"data_dir": data_dir, "database_url": f"sqlite:///{data_dir / (database_name + '.db')}",
            "object_store_dir": data_dir / "objects", "signing_key_path": data_dir / "keys" / "signing-key.pem",
            "model_cache_dir": data_dir / "model-cache"}


def settings_in(data_dir: Path, database_name: str = "monolith", **changes) -> Settings:
    """Settings with every path under data_dir (what tests and `twintag up` use)."""
    return Settings(**{**with_paths(Path(data_dir).absolute(), database_name), **changes})


def _convert(cls: type, name: str, raw: str):
    kind = cls.__dataclass_fields__[name].type
    if kind == "Path":
        return Path(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return raw
