-- The address of the client whose request wrote an entry (behind trusted proxies, the address
-- they forwarded); NULL for the system itself and the command-line tools.
ALTER TABLE audit_log ADD COLUMN client_addr TEXT;
