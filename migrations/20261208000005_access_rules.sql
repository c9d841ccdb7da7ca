-- Access rules of application credentials: the API calls (service, path, method) a
-- credential's tokens may make. A user's rules are shared by the credentials that name
-- them; a credential without rules may make any call its roles allow.
CREATE TABLE access_rules (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    path TEXT NOT NULL,
    method TEXT NOT NULL,
    UNIQUE (user_id, service, path, method)
);

CREATE TABLE app_cred_access_rules (
    app_cred_id TEXT NOT NULL REFERENCES application_credentials (id) ON DELETE CASCADE,
    access_rule_id TEXT NOT NULL REFERENCES access_rules (id),
    PRIMARY KEY (app_cred_id, access_rule_id)
);
