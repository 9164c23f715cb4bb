"""Batch grading of a whole class: a gradebook CSV and one report per student.

    from graders.batch import run_batch
    result = run_batch("submissions/", "numpy_basics", "grades/", workers=4)

See `run.py` for the layout of the output and how resuming works, `discover.py` for how
students are found (a folder or a zip), and `worker.py` for the job a worker runs.
"""

from graders.batch.discover import BatchError, Student, discover, extract_zip, find_submission
from graders.batch.run import BatchResult, dask_executor, process_executor, run_batch

__all__ = ["BatchError", "BatchResult", "Student", "dask_executor", "discover", "extract_zip",
           "find_submission", "process_executor", "run_batch"]
