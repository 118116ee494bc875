"""A real SMTP server for the tests (Debian's python3-aiosmtpd).

Usage: /usr/bin/python3 smtp_sink.py PORT   (0 picks a free port)

Prints one JSON line per event on stdout: {"ready": PORT} once listening, then
{"mail": {...}} for each message accepted: the envelope, the headers, and the body
decoded from its transfer encoding (quoted-printable or base64), as a mail client
would show it. Stops when its standard input closes or on SIGTERM.
"""

import asyncio
import email
import email.policy
import json
import sys

from aiosmtpd.smtp import SMTP


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        emit({
            "mail": {
                "mail_from": envelope.mail_from,
                "rcpt_to": envelope.rcpt_tos,
                "headers": {k: str(v) for k, v in msg.items()},
                "content_type": msg.get_content_type(),
                "charset": msg.get_content_charset(),
                "multipart": msg.is_multipart(),
                "body": msg.get_content(),
            }
        })
        return "250 OK"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(), hostname="sink.test"), host="127.0.0.1", port=int(sys.argv[1])
    )
    emit({"ready": server.sockets[0].getsockname()[1]})
    # Ends when the test drops its end of stdin (the test process died, too).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
