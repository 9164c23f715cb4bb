"""Grader of `transfer_torch`: freezing, a new head and fine-tuning on a pretrained digits CNN."""
