"""PrairieLearn: the external grader of one assignment (`grader.write_grader`,
`dlgrade prairielearn-grader`) and the program its entry point runs for each submission
(`run.py`)."""
