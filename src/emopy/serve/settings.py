"""Server settings from EMOPY_* environment variables (EMOPY_DB, EMOPY_API_KEY, ...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the server reads from its environment; each field is EMOPY_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="EMOPY_", extra="ignore")

    db: str = "sqlite:///emopy.db"
    model: str = "default"
    detector: str = "auto"
    threads: int | None = None
    max_upload_bytes: int = 10_000_000
    max_pixels: int = 25_000_000
    retention_days: float | None = None
    api_key: SecretStr | None = None
    allow_image_url: bool = False
    url_timeout_s: float = 5.0
    url_max_redirects: int = 3
    stories: str | None = None  # folder of story .yaml/.json files for /story.html (default: the shipped examples)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (a dependency; tests override it or pass Settings to create_app)."""
    return Settings()
