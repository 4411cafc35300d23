"""The budgeting service's shared package: domain, settings, messaging, storage, auth."""
