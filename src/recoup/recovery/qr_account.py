"""Which EMVCo merchant-account template a collection QR code uses (SPEC section 6, collect difference).

The default comes from the settings (`qr_account_tag` "15" = UnionPay's own tag, `qr_account_gui`);
an admin may override it for the tenant, stored like the ladder's per-tenant settings. A tag from
02 to 25 holds the account alone; a template tag from 26 to 51 also needs the network's GUI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.config import Settings
from recoup.db import utcnow
from recoup.recovery.emvqr import MerchantAccount
from recoup.recovery.models import QrAccountSetting

# EMVCo QRCPS merchant-presented mode, merchant account information IDs reserved per network.
_NETWORKS = ((2, 3, "Visa"), (4, 5, "Mastercard"), (6, 8, "EMVCo"), (9, 10, "Discover"), (11, 12, "Amex"),
             (13, 14, "JCB"), (15, 16, "UnionPay"), (17, 25, "EMVCo"), (26, 51, "template"))


@dataclass(frozen=True)
class QrAccountTemplate:
    tag: str
    gui: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> QrAccountTemplate:
        return cls(settings.qr_account_tag.strip(), settings.qr_account_gui.strip())

    def account(self, merchant_id: str) -> MerchantAccount:
        return MerchantAccount(merchant_id, tag=self.tag, gui=self.gui)

    def check(self) -> None:
        """Raise InvalidInput (422) for a tag outside 02-51 or a GUI where none (or none where one) belongs."""
        self.account("0").encode()

    @property
    def network(self) -> str:
        number = int(self.tag) if self.tag.isascii() and self.tag.isdigit() else -1
        return next((name for low, high, name in _NETWORKS if low <= number <= high), "unknown")


def tenant_template(session: Session, tenant_id: int, default: QrAccountTemplate) -> QrAccountTemplate:
    """The tenant's own template, else the default."""
    setting = session.get(QrAccountSetting, tenant_id)
    if setting is None:
        return default
    return QrAccountTemplate(setting.account_tag, setting.account_gui)


def template_view(session: Session, tenant_id: int, default: QrAccountTemplate) -> dict[str, object]:
    """The template in use, its network, and whether it is the tenant's own or the default."""
    own = session.get(QrAccountSetting, tenant_id) is not None
    template = tenant_template(session, tenant_id, default)
    return {"tag": template.tag, "gui": template.gui, "network": template.network,
            "source": "tenant" if own else "default"}


def set_template(session: Session, principal: Principal, template: QrAccountTemplate, default: QrAccountTemplate,
                 now: datetime | None = None) -> dict[str, object]:
    """Admin: the tenant's collection QR codes use `template` from now on (checked first)."""
    principal.require(Permission.MANAGE_MERCHANTS)
    cleaned = QrAccountTemplate(template.tag.strip(), template.gui.strip())
    cleaned.check()
    moment = now or utcnow()
    before = template_view(session, principal.tenant_id, default)
    setting = session.get(QrAccountSetting, principal.tenant_id)
    if setting is None:
        setting = QrAccountSetting(tenant_id=principal.tenant_id, account_tag=cleaned.tag, updated_by="")
        session.add(setting)
    setting.account_tag, setting.account_gui = cleaned.tag, cleaned.gui
    setting.updated_by, setting.updated_at = principal.username, moment
    session.flush()
    after = template_view(session, principal.tenant_id, default)
    record(session, principal.actor(), "qr_account.set", "tenant", str(principal.tenant_id), before=before,
           after=after, at=moment)
    return after


def reset_template(session: Session, principal: Principal, default: QrAccountTemplate,
                   now: datetime | None = None) -> dict[str, object]:
    """Admin: back to the settings' default."""
    principal.require(Permission.MANAGE_MERCHANTS)
    before = template_view(session, principal.tenant_id, default)
    setting = session.get(QrAccountSetting, principal.tenant_id)
    if setting is not None:
        session.delete(setting)
        session.flush()
    after = template_view(session, principal.tenant_id, default)
    record(session, principal.actor(), "qr_account.reset", "tenant", str(principal.tenant_id), before=before,
           after=after, at=now or utcnow())
    return after
