"""Local multi-process networks for development."""
