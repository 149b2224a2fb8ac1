#!/bin/sh
# Nightly backup (cron: 15 2 * * *). Keeps the last KEEP snapshots; each is a consistent copy made while
# the app runs (SQLite's online backup). Copy the folder off the machine as your organisation requires.
set -eu
DB="${CHECKLIST_DB:-/data/maturity.db}"
DIR="${BACKUP_DIR:-/data/backups}"
KEEP="${KEEP:-30}"
mkdir -p "$DIR"
python -m checklist backup --db "$DB" --out "$DIR/maturity-$(date -u +%Y%m%dT%H%M%SZ).db"
ls -1t "$DIR"/maturity-*.db | tail -n +"$((KEEP + 1))" | xargs -r rm --
