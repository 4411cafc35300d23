"""One blueprint per service; function_app.py registers the ones this app hosts."""
