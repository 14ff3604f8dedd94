"""Clients of outside services (Crossref, NCBI E-utilities): the only code that makes outbound HTTP requests."""
