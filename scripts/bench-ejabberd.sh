#!/usr/bin/env bash
# P9: ejabberd (Debian's package) side by side with Mynah. Installs ejabberd if needed, configures it
# on loopback only (WebSocket listener at ws://127.0.0.1:$PORT/ws, mod_offline and mod_mam on, a MUC
# service; the room is created by its first joiner), registers the bench users with ejabberdctl,
# starts it, runs `mynah-bench --scenarios p9`
# against it and a Mynah binary in the same run, then stops ejabberd.
#
#   scripts/bench-ejabberd.sh                  # 200 users
#   BENCH_USERS=400 scripts/bench-ejabberd.sh --out target/bench/p9.json
set -euo pipefail
cd "$(dirname "$0")/.."

users=${BENCH_USERS:-200}
port=${EJABBERD_PORT:-5280}
if ! command -v ejabberdctl >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd >/dev/null
fi
cargo build --release -p mynah-bench -p mynah-server

# Erlang's port mapper and distribution listen on loopback only.
export ERL_EPMD_ADDRESS=127.0.0.1
work=$(mktemp -d /tmp/ejabberd-bench.XXXXXX)
mkdir -p "$work/spool" "$work/logs"
cat > "$work/ejabberd.yml" <<YAML
hosts:
  - localhost
loglevel: warning
certfiles: []
listen:
  - port: $port
    ip: "127.0.0.1"
    module: ejabberd_http
    # The default backlog of 5 resets connections when hundreds arrive at once.
    backlog: 4096
    request_handlers:
      /ws: ejabberd_http_ws
      /api: mod_http_api
auth_method: internal
auth_password_format: plain
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  muc_create:
    allow: local
# Registration over the HTTP API, from loopback only (one ejabberdctl call per user takes ~1 s).
api_permissions:
  "console commands":
    from: ejabberd_ctl
    who: all
    what: "*"
  "loopback registration":
    from: mod_http_api
    who:
      ip: 127.0.0.1/8
    what: register
# No shapers: the Debian default limits a normal user to 1,000 bytes/s.
shaper_rules: {}
max_fsm_queue: 100000
modules:
  mod_disco: {}
  mod_http_api: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_mam:
    default: always
  mod_muc:
    access_create: muc_create
    max_users: 5000
    history_size: 0
    default_room_options:
      persistent: true
      mam: false
      max_users: 5000
  mod_ping: {}
YAML
# Our own ejabberdctl.cfg: Debian's points EJABBERD_CONFIG_PATH at /etc/ejabberd/ejabberd.yml.
cat > "$work/ejabberdctl.cfg" <<CFG
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_PID_PATH=$work/ejabberd.pid
EJABBERD_CONFIG_PATH=$work/ejabberd.yml
CFG
chown -R ejabberd:ejabberd "$work"
# ejabberdctl run as root switches to the ejabberd user with su, whose PAM session resets the
# open-file limit to 1,024: ejabberd then refuses connections past ~1,000 users. Switching with
# setpriv (no PAM) keeps this shell's limit.
ctl() {
  setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME="$work" \
    ejabberdctl --ctl-config "$work/ejabberdctl.cfg" --spool "$work/spool" --logs "$work/logs" "$@"
}
stop() { ctl stop >/dev/null 2>&1 || true; ctl stopped >/dev/null 2>&1 || true; }
trap 'stop; rm -rf "$work"' EXIT

echo "== starting ejabberd on 127.0.0.1:$port"
ctl start
ctl started

echo "== registering $users users (user0 .. user$((users - 1)), password bench) through the HTTP API"
seq 0 $((users - 1)) | xargs -P 8 -I{} curl -fsS -o /dev/null "http://127.0.0.1:$port/api/register" \
  -H 'Content-Type: application/json' -d '{"user":"user{}","host":"localhost","password":"bench"}'

pid=$(pgrep -u ejabberd -f beam.smp | head -1)
target/release/mynah-bench --scenarios p9 --ejabberd-ws "ws://127.0.0.1:$port/ws" --ejabberd-pid "$pid" \
  --ejabberd-users "$users" "$@"
