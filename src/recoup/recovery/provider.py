"""The payment-provider interface that recovery actions are performed against (SPEC section 6).

The default `RecordingProvider` records the instruction and leaves its confirmation to later
journal and settlement files (SPEC section 2, step 9). A real acquirer's API plugs in behind the
same `PaymentProvider` protocol with `use_provider` at start-up. Providers must be idempotent by
`Instruction.reference`: the worker repeats an instruction whose outcome a crash left unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from recoup.errors import RecoupError


class ProviderError(RecoupError):
    """The provider refused or could not be reached: the action is failed and may be retried."""

    status = 502


@dataclass(frozen=True)
class Instruction:
    reference: str  # stable per action: the provider's idempotency key
    action_id: int
    kind: str
    tenant_id: int
    merchant_id: str
    terminal_id: str
    sale_rrn: str
    amount_minor: int
    currency: str
    case_number: str
    direction: str = ""
    bank_reference: str = ""


@dataclass(frozen=True)
class Receipt:
    provider: str
    reference: str
    confirmed: bool = False  # True when the provider confirms at once (no later file is awaited)


class PaymentProvider(Protocol):
    name: str

    def execute(self, instruction: Instruction) -> Receipt:
        """Perform (or queue) the instruction; raise ProviderError when that is not possible."""
        ...


class RecordingProvider:
    """Records the instruction (the action row is the record) and awaits confirmation from files."""

    name = "recorded"

    def execute(self, instruction: Instruction) -> Receipt:
        return Receipt(self.name, f"REC-{instruction.case_number}-{instruction.action_id}")


_current: list[PaymentProvider] = [RecordingProvider()]


def current_provider() -> PaymentProvider:
    return _current[0]


def use_provider(provider: PaymentProvider) -> PaymentProvider:
    """Install the provider recovery actions go to; returns the one it replaces."""
    previous = _current[0]
    _current[0] = provider
    return previous
