"""Small helpers every app may use. Nothing here imports a domain app."""
