"""One typed Settings object, read from the environment (prefix RECOUP_). Nothing is read at import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from recoup.keys.ring import KeyRing


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECOUP_", env_file=None, extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under var_dir")
    var_dir: Path = Path("var")
    # Keys: empty means "not given here": the data folder's key file (generated on first start) holds them.
    secret_key: str = ""
    card_token_key: str = ""
    data_key: str = ""
    audit_key: str = ""
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

    _keyring: KeyRing | None = PrivateAttr(default=None)

    def keyring(self) -> KeyRing:
        """The keys of every purpose (loaded, and generated when missing, on first use; never at import)."""
        if self._keyring is None:
            from recoup.keys.store import load_keyring

            self._keyring = load_keyring(self)
        return self._keyring

    def reload_keys(self) -> None:
        self._keyring = None

    @property
    def card_key_bytes(self) -> bytes:
        return self.keyring().current("card").secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
