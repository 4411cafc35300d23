"""Exchange-rate files read into the domain's Rate records; nothing here stores or fetches anything."""
