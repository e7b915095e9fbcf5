-- Inbox rows are forgotten after CAIRN_INBOX_RETENTION_HOURS (InboxPruner in libs/eventing): the
-- inbox only has to outlive redeliveries, and it grew by one row per consumed event forever. The
-- pruner finds old rows by processed_at.
CREATE INDEX inbox_processed_at ON tracking.inbox (processed_at);
CREATE INDEX inbox_processed_at ON artifacts.inbox (processed_at);
CREATE INDEX inbox_processed_at ON registry.inbox (processed_at);
CREATE INDEX inbox_processed_at ON webhooks.inbox (processed_at);
