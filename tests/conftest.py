"""Suite-wide settings."""

import os


def pytest_configure(config):
    # One known course secret for the whole suite (and the CLIs its tests start), so trained
    # checks are reproducible here and no test writes a secret file into the home folder.
    os.environ.setdefault("DLGRADE_SECRET", "dlgrade-test-suite-secret")
