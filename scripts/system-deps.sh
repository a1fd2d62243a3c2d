#!/usr/bin/env bash
# Install the Debian packages Shuzhi needs. As root: apt-get installs what is missing.
# Otherwise: print the exact command to run and fail (for `test`) or warn (for `run`).
# Usage: scripts/system-deps.sh run|test
set -euo pipefail
purpose=${1:-run}

# WeasyPrint (Pango; harfbuzz-subset keeps CJK PDFs fast), a CJK font for PDFs and screenshots,
# gettext for translations.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext)
if [ "$purpose" = test ]; then
  # A real PostgreSQL server, Chromium for browser tests, pdftotext/pdftoppm to read PDFs back, nginx to
  # run deploy/nginx/shuzhi.conf in front of gunicorn (tests/deploy/test_nginx.py; the service is not started).
  packages+=(postgresql chromium poppler-utils nginx)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "==> Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Shuzhi needs these Debian packages, which are not installed: ${missing[*]}" >&2
echo "Run as root:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
[ "$purpose" = test ] && exit 1
echo "(continuing: the app runs, but PDFs may lack Chinese glyphs until they are installed)" >&2
exit 0
