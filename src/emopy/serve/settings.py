"""Server settings from EMOPY_* environment variables (EMOPY_DB, EMOPY_API_KEY, ...)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ..pixels import DEFAULT_MAX_PIXELS

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


class Settings(BaseSettings):
    """Everything the server reads from its environment; each field is EMOPY_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="EMOPY_", extra="ignore")

    db: str = "sqlite:///emopy.db"
    model: str = "default"
    detector: str = "auto"
    threads: int | None = None
    device: str = "cpu"  # where the classifier runs: cpu, cuda, ... (an onnxruntime execution provider)
    max_upload_bytes: int = 10_000_000
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_decodes: int = 2  # requests holding an image at once per worker, from decoding to their answer (memory budget)
    decode_timeout_s: float = 10.0  # one image's decoding; its decoder process is killed at this deadline
    retention_days: float | None = None
    api_key: SecretStr | None = None
    open_export: bool = False  # without an API key, export and deletion stay closed unless this is set
    host: str = "127.0.0.1"  # the address `emopy serve --host` binds; it sets this variable for its workers
    allowed_hosts: Annotated[list[str], NoDecode] = []  # Host header names accepted; empty: loopback names (+ host)
    max_connections: int = 64  # uvicorn's limit_concurrency: open connections and running requests, beyond: 503
    keep_alive_s: int = 5  # an idle keep-alive connection is closed after this
    head_timeout_s: float = 5.0  # a request head must have arrived within this (from accept or its first byte)
    body_timeout_s: float = 30.0  # a request body must have arrived completely within this
    ws_idle_s: float = 60.0  # a WebSocket without any message for this long is closed
    allow_image_url: bool = False
    url_timeout_s: float = 5.0  # the whole image_url fetch: resolving, connecting, redirects, headers and body
    url_max_redirects: int = 3
    stories: str | None = None  # folder of story .yaml/.json files for /story.html (default: the shipped examples)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """EMOPY_ALLOWED_HOSTS is comma-separated: "emopy.example.org,localhost"."""
        return [h.strip() for h in value.split(",") if h.strip()] if isinstance(value, str) else value

    def trusted_hosts(self) -> list[str]:
        """Host header names to accept: EMOPY_ALLOWED_HOSTS, else the loopback names and the address bound to."""
        if self.allowed_hosts:
            return self.allowed_hosts
        bound = [] if self.host in WILDCARD_ADDRESSES else [f"[{self.host}]" if ":" in self.host else self.host]
        return list(dict.fromkeys([*LOOPBACK_HOSTS, *bound]))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (a dependency; tests override it or pass Settings to create_app)."""
    return Settings()
