"""Email: turning outbox rows into messages and handing them to an SMTP server, outside any web request.

- `transport`: the SMTP client (the standard library's smtplib), or the log when no server is configured;
- `unsubscribe`: the signed, expiring one-click unsubscribe links;
- `compose`: the plain-text and HTML message for an outbox row, content checked again at send time;
- `worker`: the sending loop behind `flask notifications send`, with retries and at-most-once delivery.
"""
