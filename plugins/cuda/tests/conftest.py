from plugrad_backends.testing import backend  # noqa: F401
