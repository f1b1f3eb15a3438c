#!/usr/bin/env bash
# Regenerates UserSig test vectors with Tencent's official TLSSigAPIv2 generators: npm
# tls-sig-api-v2@1.0.2 and PyPI tls-sig-api-v2==1.1, installed into a temporary directory.
#
#   regenerate.sh OUT.json           every case in cases.json, issued at the current time
#                                    (CI: then run the tests with MYNAH_USERSIG_FRESH_VECTORS=OUT.json)
#   regenerate.sh --golden OUT.json  every case at its fixed time in cases.json
#                                    (how crates/usersig/tests/vectors.json was made)
#
# Needs node + npm and python3 + pip, and the npm and PyPI registries. Non-interactive; any failure
# stops the script with a non-zero exit.
set -euo pipefail

NPM_PACKAGE="tls-sig-api-v2@1.0.2"
PYPI_PACKAGE="tls-sig-api-v2==1.1"

fail() { echo "regenerate.sh: $*" >&2; exit 1; }

golden=false
if [[ "${1:-}" == "--golden" ]]; then golden=true; shift; fi
[[ $# -eq 1 && -n "$1" ]] || fail "usage: regenerate.sh [--golden] OUT.json"
out="$1"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in node npm python3; do
  command -v "$tool" >/dev/null || fail "'$tool' is not installed"
done
python3 -m pip --version >/dev/null 2>&1 || fail "python3 has no pip module"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "regenerate.sh: installing $NPM_PACKAGE and $PYPI_PACKAGE into $work" >&2
npm install --prefix "$work/npm" --no-audit --no-fund --no-save --no-package-lock \
  --loglevel=error "$NPM_PACKAGE" >&2 || fail "npm install $NPM_PACKAGE failed"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
  --no-input --no-deps --target "$work/py" "$PYPI_PACKAGE" >&2 || fail "pip install $PYPI_PACKAGE failed"

now_args=()
now="null"
if [[ "$golden" == false ]]; then
  now="$(date +%s)"
  now_args=(--now "$now")
fi

NODE_PATH="$work/npm/node_modules" node "$here/gen.js" "$here/cases.json" "${now_args[@]}" \
  >"$work/node.json" || fail "gen.js failed"
PYTHONPATH="$work/py" python3 "$here/gen.py" "$here/cases.json" "${now_args[@]}" \
  >"$work/python.json" || fail "gen.py failed"

python3 - "$work/node.json" "$work/python.json" "$now" "$work/merged.json" <<'PY' || fail "merging the vectors failed"
import json, sys
node_path, python_path, now, out_path = sys.argv[1:]
vectors = []
for path in (node_path, python_path):
    with open(path, encoding="utf-8") as vectors_file:
        part = json.load(vectors_file)
    if not part:
        sys.exit("%s produced no vectors" % path)
    vectors.extend(part)
document = {
    "comment": "UserSigs made by Tencent's official TLSSigAPIv2 generators; "
               "see crates/usersig/tests/official/regenerate.sh. Verify each at its `now`.",
    "now": json.loads(now),
    "vectors": vectors,
}
with open(out_path, "w", encoding="utf-8") as out_file:
    json.dump(document, out_file, ensure_ascii=False, indent=2)
    out_file.write("\n")
PY

mkdir -p "$(dirname "$out")"
mv "$work/merged.json" "$out"
echo "regenerate.sh: wrote $(grep -c '"user_sig"' "$out") vectors to $out" >&2
