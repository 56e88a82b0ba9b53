"""A live latent-space playground for a trained run: ``vaekit explore RUN`` (or
``vaekit.explore(run)``) serves a local web page where one drags through the latent map and
watches the decoder answer. Needs the optional extra ``vaekit[explore]``."""

from vaekit.explore.server import create_app, explore
from vaekit.explore.session import ExploreError, ExploreSession

__all__ = ["ExploreError", "ExploreSession", "create_app", "explore"]
