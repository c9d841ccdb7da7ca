-- A project's tags (Keystone's project tags): a JSON array of strings.
ALTER TABLE projects ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
