-- Groups with at least one transaction, and all their rows.
WITH g AS MATERIALIZED (
  SELECT visitorid, count(*) AS n FROM read_parquet({files})
  GROUP BY visitorid
  HAVING count(*) FILTER (WHERE event = 'transaction') >= 1)
SELECT 'query.matchingGroups' AS path, '' AS key, count(*) AS value FROM g
UNION ALL SELECT 'query.matchingGroupRows', '', sum(n) FROM g
