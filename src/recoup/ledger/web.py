"""The ledger pages: balances by account, postings with their actions and cases, holds."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
