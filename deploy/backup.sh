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
# The undo copies a restore leaves beside the database (before-restore-*.db) go after KEEP days too: they hold
# anyone erased since, so they must not outlive the nightly snapshots (docs/information-governance.md).
UNDO_DIR="${CHECKLIST_BACKUP_DIR:-$(dirname "$DB")/backups}"
if [ -d "$UNDO_DIR" ]; then
    find "$UNDO_DIR" -maxdepth 1 -name 'before-restore-*.db' -mtime +"$KEEP" -exec rm -- {} +
fi
