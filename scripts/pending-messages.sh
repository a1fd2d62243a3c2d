#!/usr/bin/env bash
# Compile locale/pending/*.po (translations not yet merged into the main catalogue) into
# locale/pending/zh_Hans/LC_MESSAGES/django.mo, which settings.LOCALE_PATHS reads after the main one.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p locale/pending/zh_Hans/LC_MESSAGES
msgcat --use-first locale/pending/*.po | msgfmt --check -o locale/pending/zh_Hans/LC_MESSAGES/django.mo -
