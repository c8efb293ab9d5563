-- The error report names every rejected line by its text in the file. Lines rejected because
-- another line of their order was bad (or their order broke an order rule) are only known to be
-- rejected in phase 2, after staging: keep each staged line's text until then, so the report shows
-- the line as the file had it (a UCI or Northwind line in its own format), not a native-format
-- reconstruction. Staged lines live minutes; phase 2 deletes them.
ALTER TABLE import_lines ADD COLUMN raw_line text;
