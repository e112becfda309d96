"""HTML page blueprints."""
