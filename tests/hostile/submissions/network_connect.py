"""Opens network connections: TCP to a port on 127.0.0.1 where the test listens (the
port line is rewritten by the test), UDP to the same port, a listening socket, and TCP to
an outside address. Each success is printed."""
import socket

import numpy as np

PORT = 47613  # the test replaces this line with the port it listens on


def _attempt():
    # >>> cheat
    for family, kind, address in ((socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", PORT)),
                                  (socket.AF_INET6, socket.SOCK_STREAM, ("::1", PORT)),
                                  (socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 53))):
        try:
            with socket.socket(family, kind) as s:
                s.settimeout(1.0)
                s.connect(address)
                s.sendall(b"dlgrade-hostile-marker")
                print(f"HOSTILE-SUCCESS connected to {address}")
        except OSError:
            pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"dlgrade-hostile-marker", ("127.0.0.1", PORT))
            print("HOSTILE-SUCCESS sent a UDP datagram")
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            print("HOSTILE-SUCCESS listened on a TCP port")
    except OSError:
        pass
    # === twin
    pass
    # <<< cheat


_attempt()


def relu(z):
    _attempt()
    return np.maximum(z, 0.0)


def relu_backward(dout, z):
    return dout * (z > 0)
