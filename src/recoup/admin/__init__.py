"""Administration pages (SPEC section 10): users, merchants and terminals, ladder deadlines, the QR account,
webhooks — what an admin manages without the command line."""
