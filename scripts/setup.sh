#!/usr/bin/env bash
# Installs what partnercloud needs on Debian 12. Idempotent: when everything is present it
# prints nothing and returns in well under a second. Uses sudo only when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev postgresql-15 zlib1g-dev
  libsodium-dev libcli11-dev libtomlplusplus-dev libspdlog-dev libgmime-3.0-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl ca-certificates procps jq wrk
  chromium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The web UI's npm packages (web/): installed with `npm ci` from the committed lock, again
# whenever package-lock.json changes (a stamp file in node_modules remembers its digest).
if [[ -f web/package-lock.json ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: Node.js 20+ and npm are needed for the web UI (web/); install them first" >&2
    exit 1
  fi
  stamp=web/node_modules/.package-lock.sha256
  want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "setup: npm ci in web/"
    (cd web && npm ci --silent --no-audit --no-fund)
    echo "$want" >"$stamp"
  fi
fi

# The conformance suite's npm packages (conformance/: Microsoft's SDKs), the same way.
if [[ -f conformance/package-lock.json ]]; then
  stamp=conformance/node_modules/.package-lock.sha256
  want=$(sha256sum conformance/package-lock.json | cut -d' ' -f1)
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "setup: npm ci in conformance/"
    (cd conformance && npm ci --silent --no-audit --no-fund --no-update-notifier --loglevel=error)
    echo "$want" >"$stamp"
  fi
fi
