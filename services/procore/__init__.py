"""A client of Procore's REST API: the calls cco-unlink needs, and nothing else."""

from services.procore.auth import AuthorizationCode, ClientCredentials, Credentials
from services.procore.client import ProcoreClient

__all__ = ["AuthorizationCode", "ClientCredentials", "Credentials", "ProcoreClient"]
