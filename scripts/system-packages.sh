#!/usr/bin/env bash
# The Debian packages the tests and the exports need (Chromium's headless shell for browser tests and kaleido,
# Chromium for a test run watched with --headed and for bench, chromedriver for selenium, poppler-utils to read PDFs
# back, redis-server and openssl for the Redis tests (TLS included), DejaVu fonts for exports and Noto Color Emoji
# for the emoji a title may hold), and
# Debian's Node.js and npm when no `node`/`npm` is on the PATH (they build the page's plotly.js, `make plotly-bundle`).
# Installs the missing ones: apt-get as root, through sudo otherwise; when neither can, stops with one line that
# names the command to run. Used by `make test`, `make run` and .ci/run alike.
set -euo pipefail
PACKAGES=(chromium chromium-headless-shell chromium-driver poppler-utils redis-server openssl fonts-dejavu-core fonts-noto-color-emoji)
missing=()
# Installed means dpkg's status "installed": `dpkg -s` also succeeds for a removed package whose config files remain.
for pkg in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages (${missing[*]}) and no apt-get here: install their equivalents, then run make again." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "Missing system packages: run  sudo apt-get update && sudo apt-get install -y ${missing[*]}  then make again." >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
