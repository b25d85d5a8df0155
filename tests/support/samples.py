"""The public sample data sets (copied from shared/samples so the suite needs nothing beside the repo)."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
RECON = SAMPLES / "recon"
ISO8583 = SAMPLES / "iso8583"
