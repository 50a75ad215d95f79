#!/usr/bin/env bash
# Installs what the browser tests need, once: Debian's Chromium (driven by playwright-core in
# test/e2e/status-page.test.ts) and a CJK font, so that Chinese plates and lane names render
# (in screenshots) instead of empty boxes. Idempotent: does nothing when both are present.
# Needs root (or sudo) and the Debian/Ubuntu package mirrors.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || packages+=(chromium)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  packages+=(fonts-noto-cjk)
fi

if [ ${#packages[@]} -eq 0 ]; then
  echo "ensure-chromium: chromium and a CJK font are already installed ($(command -v chromium || echo /usr/bin/chromium))"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "ensure-chromium: need root to install ${packages[*]} (no sudo found)" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${packages[@]}"
/usr/bin/chromium --version
