#!/usr/bin/env python3
"""A real SMTP server for the one-time-code tests.

aiosmtpd on 127.0.0.1 with an ephemeral port; every message it accepts is saved, as received,
to DIR/<n>.eml (written to a temporary name first, then renamed, so a reader never sees half a
message). Prints "PORT <port>" once it listens. Stops on SIGTERM, SIGINT or when its standard
input closes (so it never outlives the test that started it).

With CERT, KEY and USER:PASSWORD it behaves as a submission server does: STARTTLS with that
certificate is required before anything else (or, with MODE "tls", the connection is TLS from
its first byte, as on port 465), then AUTH (PLAIN or LOGIN) with that user and password before
MAIL; a wrong password is refused. Each saved message then records the session in its first
lines: "X-Sink-TLS: <TLS version>" and "X-Sink-Auth: <user>".

Usage: smtp_sink.py DIR [CERT KEY USER:PASSWORD [starttls|tls]]
"""
import asyncio
import itertools
import logging
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class SaveToDirectory:
    def __init__(self, directory):
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.numbers)
        final = os.path.join(self.directory, f"{number:06d}.eml")
        with open(final + ".tmp", "wb") as out:
            out.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            # After STARTTLS the session holds the TLS object; with implicit TLS the socket does.
            tls = session.ssl["ssl_object"] if session.ssl is not None else None
            tls = tls or server.transport.get_extra_info("ssl_object")
            if tls is not None:
                out.write(b"X-Sink-TLS: " + tls.version().encode() + b"\r\n")
            if session.authenticated:
                out.write(b"X-Sink-Auth: " + str(session.auth_data.login, "utf-8").encode() + b"\r\n")
            out.write(envelope.original_content)
        os.rename(final + ".tmp", final)
        return "250 Message accepted"


class OneAccount:
    """Accepts exactly one user and password."""

    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def tls_context(secure):
    if secure is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(secure[0], secure[1])
    return context


def smtp_factory(handler, secure, context):
    if secure is None:
        return lambda: SMTP(handler)
    user, _, password = secure[2].partition(":")
    if secure[3] == "tls":
        # TLS from the first byte: AUTH needs no STARTTLS (aiosmtpd only knows of its own, so
        # its warning that AUTH is allowed without TLS does not apply here).
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        return lambda: SMTP(
            handler,
            authenticator=OneAccount(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
    return lambda: SMTP(
        handler,
        tls_context=context,
        require_starttls=True,
        authenticator=OneAccount(user, password),
        auth_required=True,
        auth_require_tls=True,
    )


async def main(directory, secure):
    loop = asyncio.get_running_loop()
    handler = SaveToDirectory(directory)
    context = tls_context(secure)
    implicit = secure is not None and secure[3] == "tls"
    server = await loop.create_server(
        smtp_factory(handler, secure, context), "127.0.0.1", 0, ssl=context if implicit else None
    )
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"PORT {port}", flush=True)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 5, 6) or sys.argv[5:] not in ([], ["starttls"], ["tls"]):
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    secure = (sys.argv[2:5] + (sys.argv[5:] or ["starttls"])) if len(sys.argv) > 2 else None
    asyncio.run(main(sys.argv[1], secure))
