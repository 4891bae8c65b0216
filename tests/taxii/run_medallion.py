#!/usr/bin/env python3
"""Start OASIS medallion (TAXII 2.1 server, memory backend) over HTTPS on
127.0.0.1: `run_medallion.py CONFIG PORT CERT KEY`. The same steps as
medallion's own CLI (medallion/scripts/run.py), plus a TLS context, which the
CLI does not offer. The memory backend keeps posted objects in memory only:
a restart starts again from the data file."""
import json
import logging
import sys

from medallion import application_instance, register_blueprints, set_config


def main():
    config_path, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(config_path) as f:
        configuration = json.load(f)
    logging.basicConfig(level=logging.WARNING)
    set_config(application_instance, "users", configuration)
    set_config(application_instance, "taxii", configuration)
    set_config(application_instance, "backend", configuration)
    register_blueprints(application_instance)
    application_instance.run(host="127.0.0.1", port=port, ssl_context=(cert, key),
                             threaded=True)


if __name__ == "__main__":
    main()
