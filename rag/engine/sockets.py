"""The server's listening socket: TCP_NODELAY on it, so every connection it accepts has it;
and whether its port is free before the server starts.

Streamlit binds its listening socket itself, as `socket.socket(family)`, whose protocol
number is 0; asyncio sets TCP_NODELAY only on sockets whose protocol reads as TCP, so the
connections it accepts keep Nagle's algorithm. A response written in two pieces (headers,
then body, or one server-sent event after another) then holds its second piece until the
client acknowledges the first, and clients delay that acknowledgement by up to 40 ms: every
request on a kept-alive connection, and the first token of every streamed answer, waited for
it. Linux copies the option from a listening socket to the sockets it accepts.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

from rag.errors import ConfigError

log = logging.getLogger(__name__)


def disable_nagle(port: int) -> int:
    """Set TCP_NODELAY on this process's TCP sockets listening on `port`; how many there were."""
    changed = 0
    for fd in _open_descriptors():
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:  # not a socket
            continue
        with sock:
            if _listens_on(sock, port):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
    if not changed:
        log.warning("No listening socket on port %s found; responses may wait for delayed "
                    "acknowledgements.", port)
    return changed


def _listens_on(sock: socket.socket, port: int) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return False
    try:
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        return bool(listening) and sock.getsockname()[1] == port
    except OSError:
        return False


def _open_descriptors() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc: try the low descriptors, where a server's sockets are
        return list(range(3, 1024))


def port_taken(address: str, port: int) -> bool:
    """Whether another program listens on `port` at `address` ("" for every interface), as
    the server would find when it binds there (with SO_REUSEADDR, as Streamlit binds).
    Raises ConfigError for an address the server could not listen on at all."""
    try:
        family, kind, _, _, where = socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0] if address \
            else (socket.AF_INET, socket.SOCK_STREAM, 0, "", ("", port))
    except socket.gaierror as exc:
        raise ConfigError(f"--host {address} does not resolve ({exc.strerror}): give an "
                          "address of this machine, 127.0.0.1 or 0.0.0.0.") from None
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise ConfigError(f"Cannot listen on --host {address} ({exc.strerror}): give an "
                              "address of this machine, 127.0.0.1 or 0.0.0.0.") from None
    return False
