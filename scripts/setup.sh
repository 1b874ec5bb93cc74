#!/usr/bin/env bash
# Installs what partnercloud needs on Debian 12. Idempotent: when everything is present it
# prints nothing and returns in well under a second. Uses sudo only when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev postgresql-15 zlib1g-dev
  libsodium-dev libcli11-dev libtomlplusplus-dev libspdlog-dev libgmime-3.0-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl ca-certificates procps jq
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

# npm packages for web/ join here once web/ exists.
if [[ -f web/package.json && ! -d web/node_modules ]]; then
  (cd web && npm ci --silent --no-audit --no-fund)
fi
