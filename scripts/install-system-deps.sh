#!/usr/bin/env bash
# System packages the test suite and benches need, from Debian's archive:
#   chromium  the real browser the web tests drive through Playwright
#             (`playwright install` cannot download browsers here, so the tests
#             launch /usr/bin/chromium by path)
#   wrk       the HTTP load generator bench/serve.py prefers (it falls back to a
#             Python client when wrk is missing)
#   postgresql  the server the PostgreSQL-backed tests start in a temporary
#             directory on a loopback port (tests/pgserver.py: initdb + pg_ctl; the
#             package's own cluster is not used)
# Idempotent: does nothing when everything is present. Needs root (CI and the
# project's machines run as root) or passwordless sudo; otherwise it says what to
# install and exits 0 so the browser tests skip instead of failing the run.
set -euo pipefail

PACKAGES=(chromium wrk fonts-dejavu-core postgresql)
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: no apt-get here; install ${missing[*]} yourself (browser and PostgreSQL tests will skip)" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "install-system-deps: not root; run: sudo apt-get install -y ${missing[*]} (browser and PostgreSQL tests will skip)" >&2
    exit 0
fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
