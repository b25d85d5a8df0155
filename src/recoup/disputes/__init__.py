"""Scheme disputes (SPEC sections 5 and 6): retrieval requests, chargebacks, re-presentments, arbitration."""
