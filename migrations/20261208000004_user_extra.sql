-- The attributes a client gives a user beyond Keystone's own (Keystone's `extra`): a JSON
-- object, shown back as top-level attributes of the user.
ALTER TABLE users ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
