"""Suite-wide settings for pytest."""
