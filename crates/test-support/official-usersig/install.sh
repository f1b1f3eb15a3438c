#!/usr/bin/env bash
# Installs Tencent's official npm UserSig generator (tls-sig-api-v2@1.0.2, as
# crates/usersig/tests/official/regenerate.sh uses) into DIR and writes DIR/usersig, a command that
# prints one UserSig:
#
#   install.sh DIR
#   DIR/usersig SDKAPPID KEY IDENTIFIER EXPIRE_SECONDS
#
# The end-to-end REST tests run it when MYNAH_OFFICIAL_USERSIG_TOOL=DIR/usersig (scripts/test sets
# it), so the administrator's UserSig they present comes from Tencent's code, not Mynah's.
set -euo pipefail

NPM_PACKAGE="tls-sig-api-v2@1.0.2"

[[ $# -eq 1 && -n "$1" ]] || { echo "usage: install.sh DIR" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: 'node' is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: 'npm' is not installed" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
npm install --prefix "$dir" --no-audit --no-fund --no-save --no-package-lock --loglevel=error "$NPM_PACKAGE" >&2

cat >"$dir/usersig" <<TOOL
#!/usr/bin/env bash
NODE_PATH="$dir/node_modules" exec node "$here/usersig.js" "\$@"
TOOL
chmod +x "$dir/usersig"
echo "$dir/usersig"
