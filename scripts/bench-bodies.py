#!/usr/bin/env python3
"""The 1 GB part of scripts/bench-server (docs/performance.md, "Server under load").

  bench-bodies.py make DIR MIB
      Writes Claude Code transcript files under DIR/-bench-big/ whose records carry base64 of random
      bytes (zstd cannot shrink it below ~76%), enough for an archive of at least MIB MiB. Cheap: no
      demo-data model, one pass of os.urandom.
  bench-bodies.py exchange PORT KEY BACKUP_ID COPY SERVER_PID
      Against the server on 127.0.0.1:PORT: downloads the backup whole (SHA-256 against X-Checksum),
      downloads it again but drops the connection after a third, resumes with Range and checks the
      joined bytes against X-Checksum (writing them to COPY), then uploads COPY (multipart, streamed
      with Content-Length) and checks the upload's checksum. Reads VmHWM of SERVER_PID after the
      downloads and after the upload. Prints one JSON object; exits 1 when a check fails.
"""
import base64
import hashlib
import http.client
import json
import os
import sys
import time

PIECE = 1 << 20


def make(folder, mib):
    target = int(mib * 1048576 / 0.74)  # documents needed for an archive of `mib` MiB at ~76%
    os.makedirs(os.path.join(folder, "-bench-big"), exist_ok=True)
    written, n, session = 0, 0, 0
    out = None
    while written < target:
        if n % 2000 == 0:
            if out:
                out.close()
            session += 1
            sid = "bench-big-%04d" % session
            out = open(os.path.join(folder, "-bench-big", sid + ".jsonl"), "w")
        text = base64.b64encode(os.urandom(48 * 1024)).decode()
        line = json.dumps({"type": "user", "sessionId": sid, "uuid": "big-%08d" % n, "cwd": "/bench/big",
                           "timestamp": "2026-01-01T00:00:%02d.000Z" % (n % 60), "parentUuid": None,
                           "message": {"role": "user", "content": text}})
        out.write(line + "\n")
        written += len(line) + 1
        n += 1
    out.close()


def vmhwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def get(port, key, path, headers=None, stop_after=None, sink=None):
    """GET path; returns (status, headers, sha256 of the body, bytes read). Stops early after
    `stop_after` bytes (the connection is dropped: a broken download)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    h = {"X-API-Key": key}
    h.update(headers or {})
    c.request("GET", path, headers=h)
    r = c.getresponse()
    digest, got = hashlib.sha256(), 0
    while True:
        want = PIECE if stop_after is None else min(PIECE, stop_after - got)
        if want <= 0:
            break
        block = r.read(want)
        if not block:
            break
        digest.update(block)
        if sink:
            sink.write(block)
        got += len(block)
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, digest, got


def exchange(port, key, backup_id, copy, pid):
    port, pid = int(port), int(pid)
    path = "/api/v1/backups/%s/download" % backup_id
    res = {}
    started = time.monotonic()
    status, headers, digest, size = get(port, key, path)
    res["download_seconds"] = round(time.monotonic() - started, 2)
    res["download_mbps"] = round(size / 1e6 / max(res["download_seconds"], 1e-9), 1)
    checksum = headers.get("x-checksum", "")
    res["size_bytes"] = size
    res["whole_matches"] = status == 200 and digest.hexdigest() == checksum and size == int(headers["content-length"])

    # A broken download: a third arrives, the client goes; then the rest with Range.
    cut = size // 3
    started = time.monotonic()
    with open(copy, "wb") as f:
        _, _, first, got = get(port, key, path, stop_after=cut, sink=f)
        status, headers, _, rest = get(port, key, path, headers={"Range": "bytes=%d-" % got}, sink=f)
    res["resume_seconds"] = round(time.monotonic() - started, 2)
    res["cut_bytes"] = got
    joined = hashlib.sha256()
    with open(copy, "rb") as f:
        for block in iter(lambda: f.read(PIECE), b""):
            joined.update(block)
    res["resumed_matches"] = (status == 206 and got == cut and got + rest == size and
                              headers.get("content-range") == "bytes %d-%d/%d" % (got, size - 1, size) and
                              joined.hexdigest() == checksum)
    res["vmhwm_after_download_kib"] = vmhwm_kib(pid)

    # The upload of the same bytes, streamed with Content-Length.
    boundary = "bench-bodies-boundary-5b1e"
    head = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.claudelens\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode()
    tail = ("\r\n--%s--\r\n" % boundary).encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    c.putrequest("POST", "/api/v1/restore/upload")
    c.putheader("X-API-Key", key)
    c.putheader("Content-Type", "multipart/form-data; boundary=" + boundary)
    c.putheader("Content-Length", str(len(head) + size + len(tail)))
    c.endheaders()
    c.send(head)
    with open(copy, "rb") as f:
        for block in iter(lambda: f.read(PIECE), b""):
            c.send(block)
    c.send(tail)
    r = c.getresponse()
    body = r.read()
    res["upload_seconds"] = round(time.monotonic() - started, 2)
    res["upload_mbps"] = round(size / 1e6 / max(res["upload_seconds"], 1e-9), 1)
    res["upload_status"] = r.status
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {"raw": body[:300].decode(errors="replace")}
    res["upload_matches"] = r.status == 202 and answer.get("file_info", {}).get("checksum") == checksum
    if not res["upload_matches"]:
        res["upload_answer"] = answer
    res["vmhwm_after_upload_kib"] = vmhwm_kib(pid)
    os.remove(copy)
    print(json.dumps(res))
    return 0 if res["whole_matches"] and res["resumed_matches"] and res["upload_matches"] else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 7 and sys.argv[1] == "exchange":
        sys.exit(exchange(*sys.argv[2:]))
    else:
        sys.exit(__doc__)
