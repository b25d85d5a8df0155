"""REST routes for merchants and terminals, including the status the POS software polls."""

from __future__ import annotations

from fastapi import APIRouter

from recoup.merchants.repository import get_merchant, get_terminal, list_merchants, list_terminals
from recoup.merchants.schemas import MerchantOut, ReasonIn, TerminalOut
from recoup.merchants.service import restart_terminal, stop_terminal, terminal_state
from recoup.web.deps import ApiUser, SessionDep
from recoup.web.params import MerchantId, TerminalId

router = APIRouter(tags=["merchants"])


@router.get("/merchants", response_model=list[MerchantOut])
def merchants(principal: ApiUser, session: SessionDep) -> list[MerchantOut]:
    return [MerchantOut.of(m) for m in list_merchants(session, principal)]


@router.get("/merchants/{merchant_id}", response_model=MerchantOut)
def merchant(merchant_id: MerchantId, principal: ApiUser, session: SessionDep) -> MerchantOut:
    return MerchantOut.of(get_merchant(session, principal, merchant_id))


@router.get("/terminals", response_model=list[TerminalOut])
def terminals(principal: ApiUser, session: SessionDep, merchant_id: MerchantId | None = None) -> list[TerminalOut]:
    return [TerminalOut.of(t) for t in list_terminals(session, principal, merchant_id)]


@router.get("/terminals/{terminal_id}", response_model=TerminalOut)
def terminal(terminal_id: TerminalId, principal: ApiUser, session: SessionDep) -> TerminalOut:
    return TerminalOut.of(get_terminal(session, principal, terminal_id))


@router.get("/terminals/{terminal_id}/status")
def terminal_status(terminal_id: TerminalId, principal: ApiUser, session: SessionDep) -> dict[str, object]:
    return terminal_state(get_terminal(session, principal, terminal_id))


@router.post("/terminals/{terminal_id}/stop", response_model=TerminalOut)
def stop(terminal_id: TerminalId, body: ReasonIn, principal: ApiUser, session: SessionDep) -> TerminalOut:
    return TerminalOut.of(stop_terminal(session, principal, terminal_id, body.reason))


@router.post("/terminals/{terminal_id}/restart", response_model=TerminalOut)
def restart(terminal_id: TerminalId, body: ReasonIn, principal: ApiUser, session: SessionDep) -> TerminalOut:
    return TerminalOut.of(restart_terminal(session, principal, terminal_id, body.reason))
