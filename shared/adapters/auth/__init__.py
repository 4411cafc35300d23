"""Identity: verify bearer tokens (Entra ID in Azure, the local development issuer otherwise)."""
