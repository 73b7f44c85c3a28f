#!/usr/bin/env bash
# Start (or stop) an isolated Docker daemon for local runs of the consumer tests, as .ci/run does:
#   eval "$(scripts/dockerd.sh start)"   # prints: export DOCKER_HOST=unix://…
#   scripts/dockerd.sh stop
set -euo pipefail
dir=${OPK_DOCKERD_DIR:-/tmp/opk-dockerd}
case "${1:-}" in
  start)
    mkdir -p "$dir"
    if ! DOCKER_HOST="unix://$dir/sock" docker version >/dev/null 2>&1; then
      dockerd --bridge=none --iptables=false --ip-masq=false --data-root "$dir/data" --exec-root "$dir/exec" \
        --pidfile "$dir/pid" -H "unix://$dir/sock" >"$dir/dockerd.log" 2>&1 &
      for _ in $(seq 1 150); do DOCKER_HOST="unix://$dir/sock" docker version >/dev/null 2>&1 && break; sleep 0.2; done
    fi
    echo "export DOCKER_HOST=unix://$dir/sock"
    ;;
  stop) [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true ;;
  *) echo "usage: scripts/dockerd.sh start|stop" >&2; exit 2 ;;
esac
