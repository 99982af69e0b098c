#!/usr/bin/python3
"""An SMTP server that accepts every message and records it.

    smtp_sink.py PORT LOG

Each message is one JSON line in LOG: envelope sender and recipients, and
the From, To, Subject, Message-ID, In-Reply-To and References headers.
"""
import json
import sys
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller

port, log_path = int(sys.argv[1]), sys.argv[2]


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content)
        with open(log_path, "a") as log:
            log.write(json.dumps({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "from": message["From"], "to": message["To"], "subject": message["Subject"],
                "message_id": message["Message-ID"], "in_reply_to": message["In-Reply-To"],
                "references": message["References"], "body": message.get_payload(),
            }) + "\n")
        return "250 Message accepted for delivery"


controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
controller.start()
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
