-- cairn:no-transaction
-- cairn:contract the (key, value) btrees are unread since 0.1.0: queries still run without them, only their plans change
-- MLflow 3.18 takes registry tag values up to 100 000 characters (prompt templates live in
-- `mlflow.prompt.text`), but a btree entry holds at most 2704 bytes: a longer value that does not
-- compress enough failed the insert (a 500). As run and experiment tags already are, the key gets
-- a btree and the value a hash index, which takes any length and serves `tags.k = 'v'`. Each build
-- first drops what a failed run may have left invalid.
DROP INDEX CONCURRENTLY IF EXISTS registry.registered_model_tags_key;
CREATE INDEX CONCURRENTLY registered_model_tags_key ON registry.registered_model_tags (key);
DROP INDEX CONCURRENTLY IF EXISTS registry.registered_model_tags_value;
CREATE INDEX CONCURRENTLY registered_model_tags_value ON registry.registered_model_tags USING hash (value);
DROP INDEX CONCURRENTLY IF EXISTS registry.registered_model_tags_key_value;
DROP INDEX CONCURRENTLY IF EXISTS registry.model_version_tags_key;
CREATE INDEX CONCURRENTLY model_version_tags_key ON registry.model_version_tags (key);
DROP INDEX CONCURRENTLY IF EXISTS registry.model_version_tags_value;
CREATE INDEX CONCURRENTLY model_version_tags_value ON registry.model_version_tags USING hash (value);
DROP INDEX CONCURRENTLY IF EXISTS registry.model_version_tags_key_value;
