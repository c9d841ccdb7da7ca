-- The sub-second part of an application credential's expiry, so it reads back exactly
-- as it was given (Keystone keeps microseconds).
ALTER TABLE application_credentials ADD COLUMN expires_at_us BIGINT NOT NULL DEFAULT 0;
