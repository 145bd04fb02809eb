"""Built-in themes, installed as the package data of ``digest.themes``."""
