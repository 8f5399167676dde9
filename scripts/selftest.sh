#!/usr/bin/env bash
# What a field technician types over SSH on a truck: checks the GNSS receiver, sensors,
# LEDs, ignition, spool, clock, certificate and server link, and prints a PASS/FAIL
# table with the fix for each problem.
#   sudo scripts/selftest.sh [--json] [--only IDS]      (or: sudo geostream-selftest)
# The agent holds the UART while it runs, so it is stopped for the test and started
# again afterwards; the test runs as the service's user, with its groups, so it sees
# exactly the permissions the agent has.
set -euo pipefail
EXE="${GEOSTREAM_EXE:-/usr/local/bin/geostream}"
CONFIG="${GEOSTREAM_CONFIG:-/etc/geostream/config.json}"
USER_NAME="${GEOSTREAM_USER:-geostream}"
UNIT=geostream.service

[ -x "$EXE" ] || { echo "selftest: $EXE not found (set GEOSTREAM_EXE)" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "selftest: run it with sudo (it stops the agent and runs as user $USER_NAME)" >&2
  exit 2
fi

restart=no
if command -v systemctl >/dev/null && systemctl is-active --quiet "$UNIT"; then
  echo "stopping $UNIT for the self-test (it starts again afterwards)..." >&2
  systemctl stop "$UNIT"
  restart=yes
fi
trap '[ "$restart" = yes ] && { echo "starting $UNIT again" >&2; systemctl start "$UNIT"; }' EXIT

cache="$(mktemp -d /tmp/geostream-selftest-XXXXXX)"
chown "$USER_NAME" "$cache" 2>/dev/null || true
trap '[ "$restart" = yes ] && { echo "starting $UNIT again" >&2; systemctl start "$UNIT"; }; rm -rf "$cache"' EXIT

set +e
if id "$USER_NAME" >/dev/null 2>&1; then
  # setpriv keeps the user's supplementary groups (dialout, i2c, gpio) like the unit does.
  setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups \
    env PKG_NATIVE_CACHE_PATH="$cache" "$EXE" selftest --config "$CONFIG" "$@"
else
  echo "selftest: user $USER_NAME does not exist yet (first boot not finished?): running as root" >&2
  PKG_NATIVE_CACHE_PATH="$cache" "$EXE" selftest --config "$CONFIG" "$@"
fi
rc=$?
set -e
exit $rc
