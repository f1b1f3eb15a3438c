"""Generates UserSigs with the official PyPI package `tls-sig-api-v2` (module TLSSigAPIv2, found
through PYTHONPATH) for the cases in a JSON file, with time.time pinned to each case's time, and
prints the vectors as a JSON array. Usage: python3 gen.py CASES.json [--now UNIX_SECONDS]"""

import base64
import importlib.metadata
import json
import sys
import types

import TLSSigAPIv2

PACKAGE = "tls-sig-api-v2"


def main(argv):
    if not (len(argv) == 1 or (len(argv) == 3 and argv[1] == "--now")):
        sys.exit("usage: python3 gen.py CASES.json [--now UNIX_SECONDS]")
    override_now = int(argv[2]) if len(argv) == 3 else None
    with open(argv[0], encoding="utf-8") as cases_file:
        cases = json.load(cases_file)["cases"]
    version = importlib.metadata.version(PACKAGE)

    vectors = []
    for case in cases:
        if "private_map_key" in case:
            continue  # Only the Node package implements genPrivateMapKey.
        now = override_now if override_now is not None else case["now"]
        # The module calls time.time(); give it a clock pinned a fraction past `now` so its
        # flooring is exercised, without touching the real time module.
        TLSSigAPIv2.time = types.SimpleNamespace(time=lambda now=now: now + 0.789)
        api = TLSSigAPIv2.TLSSigAPIv2(case["sdk_app_id"], case["key"])
        userbuf_base64 = case.get("userbuf_base64")
        if userbuf_base64 is None:
            user_sig = api.gen_sig(case["identifier"], case["expire"])
        else:
            userbuf = base64.b64decode(userbuf_base64)
            user_sig = api.gen_sig_with_userbuf(case["identifier"], case["expire"], userbuf)
        vectors.append({
            "name": "python/" + case["name"],
            "generator": "pypi %s==%s" % (PACKAGE, version),
            "sdk_app_id": case["sdk_app_id"],
            "key": case["key"],
            "identifier": case["identifier"],
            "expire": case["expire"],
            "now": now,
            "userbuf_base64": userbuf_base64,
            "user_sig": user_sig,
        })
    json.dump(vectors, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
