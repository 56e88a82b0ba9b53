"""Recommendation from implicit feedback: Mult-VAE / Mult-DAE (Liang et al. 2018) with the
baselines that matter (popularity, EASE) and the paper's metrics and protocol."""

from vaekit.recsys.baselines import EASE, Popularity
from vaekit.recsys.metrics import mask_seen, ndcg_at_k, recall_at_k
from vaekit.recsys.protocol import evaluate_users
from vaekit.recsys.recommender import Recommender

__all__ = ["EASE", "Popularity", "Recommender", "evaluate_users", "mask_seen", "ndcg_at_k",
           "recall_at_k"]
