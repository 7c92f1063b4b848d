#!/usr/bin/env bash
# Install what the browser tests need: Debian's chromium (Playwright drives it; it never
# downloads a browser of its own). Does nothing when /usr/bin/chromium is already there.
# Without root rights it only says what is missing; the browser tests then skip with a reason.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install-browser: $CHROMIUM is missing and this is not root;" \
         "install Debian's chromium package to run the browser tests" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "install-browser: installed $($CHROMIUM --version 2>/dev/null || echo chromium)"
