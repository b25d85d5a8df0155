"""Recoup: finds card payments a POS terminal took wrongly and carries each one back."""

__version__ = "0.1.0"
