"""One typed Settings object, read from the environment (prefix RECOUP_). Nothing is read at import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

from recoup.db import PoolSizes

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
    # Logins (SPEC section 9): a browser session ends after this idle time (or the max age above); a
    # login token lasts login_token_hours; N failures in the window lock the account (or address).
    session_idle_seconds: int = 30 * 60
    login_token_hours: int = 12
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_seconds: int = 15 * 60
    login_lockout_seconds: int = 15 * 60
    # Reverse proxies (comma-separated addresses) whose X-Forwarded-For / X-Forwarded-Proto are believed.
    trusted_proxies: str = ""
    max_upload_bytes: int = 200 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    secure_cookies: bool = False
    # Where a collection QR code puts the merchant account (EMVCo tags 02-51): "15" is UnionPay's own
    # tag; a template tag (26-51) also needs the network's GUI. A tenant may override both.
    qr_account_tag: str = "15"
    qr_account_gui: str = ""

    # Messages to customers (SPEC section 7): e-mail over SMTP, SMS over an HTTP gateway (JSON POST signed
    # with X-Recoup-Signature: hex HMAC-SHA256 of the body under sms_gateway_secret); public_url is the base
    # of the links a message carries (reply pages, payment pages).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "recoup@localhost"
    sms_gateway_url: str = ""
    sms_gateway_secret: str = ""
    public_url: str = "http://127.0.0.1:8000"

    # Signed checkpoints of the audit trail, kept outside the database (empty = var_dir/audit-checkpoints).
    audit_checkpoint_dir: Path | None = None

    # PostgreSQL connections of ONE process (docs/deploy.md sizes them): each web process and each worker
    # holds up to db_pool_size + db_max_overflow; keep processes x that under the server's max_connections.
    # How many requests one web process runs at once in worker threads (4: few enough that they seldom queue
    # for the GIL, enough that one slow export does not hold the process). 0: one at a time, on the process's
    # own event loop, with no hand-off to a thread and back (then run two to four `serve --workers` per core).
    # recoup.web.serving says what each costs.
    web_request_threads: int = Field(default=4, ge=0, le=256)
    # Answers one keep-alive connection gets before it is closed and opened again, so that the connections
    # spread over the `serve --workers` processes (recoup.web.keep_alive); 0 keeps them open. Unset: see
    # answers_per_connection.
    web_requests_per_connection: int | None = Field(default=None, ge=0, le=1_000_000)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)

    @property
    def pool_sizes(self) -> PoolSizes:
        return PoolSizes(self.db_pool_size, self.db_max_overflow, self.db_pool_timeout_seconds,
                         self.db_pool_recycle_seconds)

    @property
    def answers_per_connection(self) -> int:
        """RECOUP_WEB_REQUESTS_PER_CONNECTION, or by the serving model when unset: 1 for processes that serve one
        request at a time (web_request_threads 0: a kept connection would hold its client to one process, queued
        behind the others' requests there while another process idles; as gunicorn's sync workers, each answer
        closes its connection and the next lands on whichever process is free), else 25."""
        if self.web_requests_per_connection is not None:
            return self.web_requests_per_connection
        return 1 if self.web_request_threads == 0 else 25

    @property
    def audit_checkpoint_folder(self) -> Path:
        return self.audit_checkpoint_dir or self.var_dir / "audit-checkpoints"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'recoup.db').resolve()}"

    _keyring: KeyRing | None = PrivateAttr(default=None)
    _keyring_stamp: tuple[int, ...] | None = PrivateAttr(default=None)

    def keyring(self) -> KeyRing:
        """The keys of every purpose: loaded (and generated when missing) on first use, never at import;
        read again when the key file changed (`recoup keys rotate` run while a server or worker runs)."""
        from recoup.keys.store import key_file_stamp, load_keyring

        stamp = key_file_stamp(self)
        if self._keyring is None or stamp != self._keyring_stamp:
            self._keyring = load_keyring(self)
            self._keyring_stamp = stamp
        return self._keyring

    def reload_keys(self) -> None:
        self._keyring = None

    @property
    def card_key_bytes(self) -> bytes:
        return self.keyring().current("card").secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
