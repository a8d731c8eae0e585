-- The empty query: every group and every row.
WITH s AS MATERIALIZED (
  SELECT count(DISTINCT visitorid) AS g, count(*) AS r FROM read_parquet({files}))
SELECT 'query.matchingGroups' AS path, '' AS key, g AS value FROM s
UNION ALL SELECT 'query.matchingGroupRows', '', r FROM s
