"""Messages to customers (SPEC section 7): templates, the outbox delivered by e-mail and SMS, replies, alerts."""
