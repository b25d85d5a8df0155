"""Evidence vault (SPEC section 7): files kept for a case, encrypted, addressed by SHA-256; the incident
report and the bundle."""
