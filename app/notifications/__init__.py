"""Messages: the inbox, SMS and e-mail deliveries, the development outbox and sign-in codes."""
