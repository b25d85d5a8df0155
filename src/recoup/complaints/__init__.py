"""Complaints (SPEC section 7): the payer's public page, tracking codes, the staff inbox."""
