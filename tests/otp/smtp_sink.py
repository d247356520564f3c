#!/usr/bin/env python3
"""A real SMTP server for the one-time-code tests.

aiosmtpd on 127.0.0.1 with an ephemeral port; every message it accepts is saved, as received,
to DIR/<n>.eml (written to a temporary name first, then renamed, so a reader never sees half a
message). Prints "PORT <port>" once it listens. Stops on SIGTERM, SIGINT or when its standard
input closes (so it never outlives the test that started it).

With CERT, KEY and USER:PASSWORD it behaves as a submission server does: STARTTLS with that
certificate is required before anything else, then AUTH (PLAIN or LOGIN) with that user and
password before MAIL; a wrong password is refused. Each saved message then records the session
in its first lines: "X-Sink-TLS: <TLS version>" and "X-Sink-Auth: <user>".

Usage: smtp_sink.py DIR [CERT KEY USER:PASSWORD]
"""
import asyncio
import itertools
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
            if session.ssl is not None:
                version = session.ssl["ssl_object"].version()
                out.write(b"X-Sink-TLS: " + version.encode() + b"\r\n")
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


def smtp_factory(handler, secure):
    if secure is None:
        return lambda: SMTP(handler)
    cert, key, account = secure
    user, _, password = account.partition(":")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
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
    server = await loop.create_server(smtp_factory(handler, secure), "127.0.0.1", 0)
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
    if len(sys.argv) not in (2, 5):
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    asyncio.run(main(sys.argv[1], tuple(sys.argv[2:]) or None))
