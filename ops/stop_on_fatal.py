"""supervisord event listener: when a program enters FATAL (it kept stopping right after its start, so
supervisord gave up on it), stop supervisord and with it `make run`, instead of running on with a part
missing. Speaks supervisord's event listener protocol on stdin/stdout; messages go to stderr."""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        header = dict(token.split(":", 1) for token in sys.stdin.readline().split())
        payload = sys.stdin.read(int(header["len"]))
        sys.stdout.write("RESULT 2\nOK")
        sys.stdout.flush()
        if header.get("eventname") == "PROCESS_STATE_FATAL":
            fields = dict(token.split(":", 1) for token in payload.split() if ":" in token)
            name = fields.get("processname", "?")
            print(f"Scheidingspunt: {name} could not be started, stopping everything; see var/log/{name}.log",
                  file=sys.stderr, flush=True)
            os.kill(os.getppid(), signal.SIGTERM)


if __name__ == "__main__":
    main()
