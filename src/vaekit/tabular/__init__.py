"""Mixed-type tables: synthetic data (:class:`Synthesizer`, TVAE), its quality and privacy
report, and missing-value imputation."""

from vaekit.data.table import Table, read_csv, write_csv
from vaekit.data.table_transform import TableTransformer
from vaekit.tabular.efficacy import ml_efficacy
from vaekit.tabular.imputer import VAEImputer
from vaekit.tabular.privacy import dcr, privacy_report
from vaekit.tabular.quality import quality_report
from vaekit.tabular.synthesizer import Synthesizer

__all__ = [
    "Synthesizer",
    "Table",
    "TableTransformer",
    "VAEImputer",
    "dcr",
    "ml_efficacy",
    "privacy_report",
    "quality_report",
    "read_csv",
    "write_csv",
]
