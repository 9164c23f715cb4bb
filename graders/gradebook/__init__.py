"""A course's gradebook: a SQLite database of every grade, and what is built from it.

    db.py          the database: students, submissions, grades per check, regrades, overrides
    late.py        late policies: a due date and a penalty rule; submission times
    exports.py     spreadsheet-safe CSV exports: dlgrade's gradebook, Canvas, Moodle
    similarity.py  pairs of submissions with much code in common (winnowing, via copydetect)
    charts.py      the dashboard's pictures (matplotlib)
    dashboard.py   a static HTML page of the class
"""
