"""Reference solutions of the NumPy assignments.

Each module `<assignment_id>.py` is a stand-alone submission (it imports only numpy and
the standard library): its docstrings are what students read, and the code between
`### BEGIN SOLUTION` and `### END SOLUTION` is what the student template asks for.
"""
