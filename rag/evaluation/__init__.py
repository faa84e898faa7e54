"""`rag eval`: retrieval and extractive-answer quality on SQuAD-format sets, and on the same
sets laid out as PDFs one paragraph a page, beside plain BM25."""

from rag.evaluation.metrics import rank_metrics
from rag.evaluation.pdfpages import evaluate_pages
from rag.evaluation.report import find_sets, format_table, run_report
from rag.evaluation.run import evaluate
from rag.evaluation.squad import Question, load_squad

__all__ = ["Question", "evaluate", "evaluate_pages", "find_sets", "format_table",
           "load_squad", "rank_metrics", "run_report"]
