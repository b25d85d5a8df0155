"""Reading statement files: formats, encodings, profiles, rejects -> staged rows (SPEC section 3)."""
