"""The page tests use the REST tests' loaded registries and clients."""

from tests.api.rest.conftest import auth, client, fresh, shared  # noqa: F401
