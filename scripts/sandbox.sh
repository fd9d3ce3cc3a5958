#!/usr/bin/env bash
# Run a command isolated from this machine's network: in fresh network, mount and
# PID namespaces (plus a user namespace when not root), with a private tmpfs on
# /run (so `ip netns add` files stay inside) and loopback up. Everything it creates
# vanishes when the command ends. The integration tests run themselves through it.
#
#   scripts/sandbox.sh COMMAND [ARG ...]
set -euo pipefail
if [ -z "${NLWATCH_SANDBOX_INNER:-}" ]; then
    flags=(--net --mount --propagation private --pid --fork --kill-child --mount-proc)
    [ "$(id -u)" = 0 ] || flags+=(--user --map-root-user)
    exec env NLWATCH_SANDBOX_INNER=1 unshare "${flags[@]}" -- "$0" "$@"
fi
unset NLWATCH_SANDBOX_INNER
export NLWATCH_IN_SANDBOX=1
mount -t tmpfs -o mode=0755 tmpfs /run
ip link set lo up
exec "$@"
