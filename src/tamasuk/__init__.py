"""Tamasuk: city-led prevention and social cohesion."""
