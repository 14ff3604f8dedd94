"""Business rules, one module per job. Services change state and flush; the caller commits once.

They know no HTTP: they return None for what is not there and raise `errors.ServiceError` to refuse.
"""
