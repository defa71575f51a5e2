"""The one error a study configuration raises: kept apart so that the shapes' checks can raise it
without importing the parser."""


class ConfigError(ValueError):
    """A study configuration that cannot be run; the message says which key and why."""


def shown(value: float) -> str:
    """A config value as an error message shows it: up to 10 significant digits, no trailing zeros."""
    return f"{value:.10g}"
