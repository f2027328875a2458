"""Exceptions raised by the backend layer."""


class BackendError(RuntimeError):
    """A backend is unknown, unavailable, or arrays of several backends were mixed."""
