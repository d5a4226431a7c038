#!/usr/bin/env python3
"""redis-py against a server binary: the client behaviours real Python
applications rely on.

Usage: test_clients.py SERVER_BINARY

Starts SERVER_BINARY (inmemdb, or redis-server to check the script itself)
with --port <free> --dir <temp>, runs every test_* function below against
it, stops it, and prints "N passed, N failed, N skipped". Exits non-zero if
anything failed. Needs the `redis` package (run by .ci/run in a venv).

Covers: the connection handshake (CLIENT SETINFO, HELLO), r.info() parsing,
pipeline(transaction=True) and WATCH conflicts, PubSub with a listener
thread and patterns, RESP3 (protocol=3) including pub/sub, URLs with a db,
and errors surfacing as redis-py's exceptions (WRONGTYPE -> ResponseError,
NOAUTH -> AuthenticationError, EXECABORT -> ExecAbortError).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import redis

HOST = "127.0.0.1"
PORT = 0
DEADLINE_S = 10.0


class Skip(Exception):
    """A test that cannot run against this server (command missing)."""


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(cond, what, deadline=DEADLINE_S):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def client(**kw):
    kw.setdefault("socket_timeout", DEADLINE_S)
    return redis.Redis(host=HOST, port=PORT, **kw)


def require(r, *commands):
    names = {n.decode() if isinstance(n, bytes) else n for n in r.execute_command("COMMAND LIST")}
    for name in commands:
        if name not in names:
            raise Skip(f"server has no {name.upper()}")


# --- tests ----------------------------------------------------------------


def test_handshake_ping_echo():
    r = client(protocol=2)
    assert r.ping() is True
    assert r.echo("hi") == b"hi"
    # redis-py >= 5 sends CLIENT SETINFO on connect; the server recorded it.
    info = r.client_info()
    if "lib-name" in info:  # CLIENT SETINFO is Redis 7.2+
        assert info["lib-name"].startswith("redis-py"), info
        assert info["lib-ver"] == redis.__version__, info
    r.client_setname("py-client")
    name = r.client_getname()
    assert name in (b"py-client", "py-client"), name


def test_info_parsing():
    r = client()
    info = r.info()
    assert isinstance(info["redis_version"], str), info["redis_version"]
    assert isinstance(info["connected_clients"], int)
    assert isinstance(info["uptime_in_seconds"], int)
    stats = r.info("stats")
    assert "total_commands_processed" in stats
    assert stats["pubsub_channels"] == 0
    everything = r.info("all")
    assert "used_memory" in everything
    assert r.config_get("maxmemory")["maxmemory"] == "0"
    assert int(r.config_get("databases")["databases"]) >= 16


def test_set_get_and_db_from_url():
    require(client(), "set", "get")
    r = redis.Redis.from_url(f"redis://{HOST}:{PORT}/2", socket_timeout=DEADLINE_S)
    assert int(r.client_info()["db"]) == 2
    assert r.set("py:k", "v") is True
    assert r.get("py:k") == b"v"
    assert client().get("py:k") is None  # db 0 is another namespace


def test_pipeline_transaction():
    r = client()
    require(r, "set", "get", "incr")
    with r.pipeline(transaction=True) as p:
        p.set("py:counter", 1).incr("py:counter").incr("py:counter").get("py:counter")
        assert p.execute() == [True, 2, 3, b"3"]
    # Non-transactional pipeline, many commands.
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.set(f"py:p:{i}", i)
        assert all(p.execute())
    # A runtime error inside EXEC does not stop the others.
    with r.pipeline(transaction=True) as p:
        p.set("py:s", "abc").incr("py:s").get("py:s")
        res = p.execute(raise_on_error=False)
        assert res[0] is True and res[2] == b"abc", res
        assert isinstance(res[1], redis.exceptions.ResponseError), res
    # A queueing error aborts the whole transaction.
    with r.pipeline(transaction=True) as p:
        p.set("py:never", 1)
        p.execute_command("NO-SUCH-COMMAND")
        try:
            p.execute()
            raise AssertionError("EXEC should have aborted")
        except redis.exceptions.ResponseError as e:
            assert "unknown command" in str(e), e
    assert r.get("py:never") is None


def test_watch_conflict():
    r = client()
    other = client()
    require(r, "set", "get")
    r.set("py:w", "1")
    with r.pipeline() as p:
        p.watch("py:w")
        assert p.get("py:w") == b"1"
        other.set("py:w", "2")
        p.multi()
        p.set("py:w", "3")
        try:
            p.execute()
            raise AssertionError("EXEC should have failed: the key changed")
        except redis.exceptions.WatchError:
            pass
    assert r.get("py:w") == b"2"

    # The transaction() helper retries until it gets through.
    def incr(pipe):
        v = int(pipe.get("py:w"))
        pipe.multi()
        pipe.set("py:w", v + 1)

    r.transaction(incr, "py:w")
    assert r.get("py:w") == b"3"


def test_pubsub_with_thread():
    r = client()
    got = []
    lock = threading.Lock()

    def handler(msg):
        with lock:
            got.append(msg)

    ps = r.pubsub()
    ps.subscribe(**{"py:chan": handler})
    ps.psubscribe(**{"py:pat:*": handler})
    worker = ps.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        wait_for(lambda: r.pubsub_numsub("py:chan") == [(b"py:chan", 1)], "subscription")
        wait_for(lambda: r.pubsub_numpat() == 1, "pattern subscription")
        assert r.publish("py:chan", "hello") == 1
        assert r.publish("py:pat:x", "world") == 1
        assert r.publish("py:nobody", "x") == 0
        wait_for(lambda: len(got) >= 2, "messages")
        with lock:
            kinds = sorted((m["type"], m["data"]) for m in got)
        assert kinds == [("message", b"hello"), ("pmessage", b"world")], kinds
        assert r.info("stats")["pubsub_channels"] == 1
    finally:
        worker.stop()
        worker.join(DEADLINE_S)
        ps.close()
    wait_for(lambda: r.pubsub_numsub("py:chan") == [(b"py:chan", 0)], "cleanup")


def test_resp3():
    r = client(protocol=3)
    assert r.ping() is True
    hello = r.execute_command("HELLO", "3")
    assert hello[b"proto"] == 3 and hello[b"server"] == b"redis", hello
    info = r.info()
    assert isinstance(info["connected_clients"], int)
    ps = r.pubsub()
    ps.subscribe("py:r3")
    msg = ps.get_message(timeout=DEADLINE_S)
    assert msg["type"] == "subscribe" and msg["channel"] == b"py:r3", msg
    assert client().publish("py:r3", "pushed") == 1
    msg = ps.get_message(timeout=DEADLINE_S)
    assert msg["type"] == "message" and msg["data"] == b"pushed", msg
    ps.close()
    try:
        require(r, "set", "get")
    except Skip:
        return
    r.set("py:r3k", "v")
    assert r.get("py:r3k") == b"v"
    with r.pipeline(transaction=True) as p:
        p.set("py:r3k", "w").get("py:r3k")
        assert p.execute() == [True, b"w"]


def test_wrongtype_is_response_error():
    r = client()
    require(r, "set", "hset")
    r.set("py:str", "x")
    try:
        r.hset("py:str", "f", "v")
        raise AssertionError("HSET on a string should fail")
    except redis.exceptions.ResponseError as e:
        assert str(e) == "WRONGTYPE Operation against a key holding the wrong kind of value", e


def test_noauth_is_authentication_error():
    admin = client()
    admin.config_set("requirepass", "py-pass")
    try:
        try:
            client(protocol=2).ping()
            raise AssertionError("PING without AUTH should fail")
        except redis.exceptions.AuthenticationError as e:
            assert str(e) == "Authentication required.", e
        # Newer redis-py says HELLO 3 first, which needs auth too.
        try:
            client(protocol=3).ping()
            raise AssertionError("HELLO 3 without AUTH should fail")
        except redis.exceptions.AuthenticationError as e:
            assert str(e).startswith("HELLO must be called with the client already authenticated"), e
        try:
            client(password="wrong").ping()
            raise AssertionError("a wrong password should fail")
        except redis.exceptions.AuthenticationError:
            pass
        assert client(password="py-pass").ping() is True
        assert client(username="default", password="py-pass", protocol=3).ping() is True
        url = f"redis://:py-pass@{HOST}:{PORT}/3"
        assert int(redis.Redis.from_url(url).client_info()["db"]) == 3
    finally:
        admin.config_set("requirepass", "")
    assert client().ping() is True


# --- runner ---------------------------------------------------------------


def start_server(binary):
    global PORT
    data = tempfile.mkdtemp(prefix="inmemdb-py-")
    PORT = free_port()
    log = open(os.path.join(data, "server.log"), "wb")
    proc = subprocess.Popen(
        [binary, "--port", str(PORT), "--dir", data],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )

    def up():
        try:
            return redis.Redis(host=HOST, port=PORT, socket_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            return False

    try:
        wait_for(up, f"{binary} on port {PORT}")
    except AssertionError:
        proc.kill()
        with open(os.path.join(data, "server.log"), "rb") as f:
            sys.stderr.write(f.read().decode(errors="replace"))
        raise
    return proc, data


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    proc, data = start_server(sys.argv[1])
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    passed = failed = skipped = 0
    try:
        for name, fn in tests:
            try:
                fn()
                passed += 1
                print(f"ok      {name}")
            except Skip as e:
                skipped += 1
                print(f"skipped {name}: {e}")
            except Exception:
                failed += 1
                print(f"FAILED  {name}")
                traceback.print_exc()
    finally:
        proc.terminate()
        try:
            proc.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
        if failed:
            with open(os.path.join(data, "server.log"), "rb") as f:
                tail = f.read().decode(errors="replace").splitlines()[-30:]
            print("--- server log ---\n" + "\n".join(tail))
        shutil.rmtree(data, ignore_errors=True)
    print(f"python: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
