#!/usr/bin/env bash
# Runs tests/python/test_clients.py (redis-py) against target/debug/inmemdb.
# redis-py is installed in a venv under target/ (kept between runs, so only
# the first run needs PyPI). Called by .ci/run; runnable by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --locked --quiet --bin inmemdb

venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
    # Prefer the interpreter on PATH; fall back to Debian's (python3-venv).
    python3 -m venv "$venv" 2>/dev/null || /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'redis>=5,<9'
echo "redis-py $("$venv/bin/python" -c 'import redis; print(redis.__version__)')"
exec "$venv/bin/python" tests/python/test_clients.py target/debug/inmemdb
