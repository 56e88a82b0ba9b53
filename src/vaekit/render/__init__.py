"""Figures from arrays and results (never from models or trainers)."""

from vaekit.render.grid import save_image_grid, tile_images

__all__ = ["save_image_grid", "tile_images"]
