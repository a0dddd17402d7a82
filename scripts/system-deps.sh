#!/bin/sh
# Installs the Debian packages the test suite uses, when one of their commands is missing:
#   poppler-utils (pdfsig, pdftoppm)  softhsm2 (softhsm2-util, libsofthsm2.so)  chromium + chromium-driver
#   libnss3-tools (certutil, the NSS trust database pdfsig reads)  fonts-liberation2
set -e
missing=""
command -v pdfsig >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v softhsm2-util >/dev/null 2>&1 || missing="$missing softhsm2"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium chromium-driver"
command -v certutil >/dev/null 2>&1 || missing="$missing libnss3-tools"
[ -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || missing="$missing fonts-liberation2"
[ -z "$missing" ] && exit 0
echo "Installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "Cannot install$missing: run as root or install them yourself." >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
