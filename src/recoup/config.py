"""One typed Settings object, read from the environment (prefix RECOUP_). Nothing is read at import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "recoup-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECOUP_", env_file=None, extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under var_dir")
    var_dir: Path = Path("var")
    secret_key: str = DEV_SECRET
    card_token_key: str = DEV_SECRET + "-cards"
    data_key: str = DEV_SECRET + "-data"
    host: str = "127.0.0.1"
    port: int = 8000
    locale: str = "zh_CN"
    default_timezone: str = "Asia/Shanghai"
    session_max_age_seconds: int = 8 * 3600
    max_upload_bytes: int = 200 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    secure_cookies: bool = False
    # Where a collection QR code puts the merchant account (EMVCo tags 02-51): "15" is UnionPay's own
    # tag; a template tag (26-51) also needs the network's GUI. A tenant may override both.
    qr_account_tag: str = "15"
    qr_account_gui: str = ""

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'recoup.db').resolve()}"

    @property
    def card_key_bytes(self) -> bytes:
        return self.card_token_key.encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
