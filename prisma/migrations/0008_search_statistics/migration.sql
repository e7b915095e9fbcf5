-- Search planning: a filter such as `params.lr = '0.05'` is a (key, value) pair, but Postgres
-- estimates `key = $1 AND value = $2` as if the two were independent (1/4 of runs had lr = 0.05 in
-- the benchmark; the plain estimate was 17x too low), and then chooses a hash join over every run
-- instead of walking the sort key's index and stopping at the page's LIMIT. A multi-column MCV
-- list gives it the real frequency of common pairs. Filled by ANALYZE / autovacuum.
CREATE STATISTICS tracking.params_key_value (mcv) ON key, value FROM tracking.params;
CREATE STATISTICS tracking.tags_key_value (mcv) ON key, value FROM tracking.tags;
