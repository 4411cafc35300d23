"""The local runner: runs the function app as the Functions host would, from its own bindings."""
