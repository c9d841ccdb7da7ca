-- Keystone's credentials (/v3/credentials): a blob of a type for a user, such as the
-- access and secret of an EC2 credential (which /v3/users/{id}/credentials/OS-EC2 also
-- shows), scoped to a project when the type needs one.
CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
    cred_type TEXT NOT NULL,
    blob TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX credentials_user ON credentials (user_id);
