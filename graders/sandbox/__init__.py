"""Running untrusted submissions: the child process, its limits, and the wire format."""
