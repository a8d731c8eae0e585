-- A 2-step sequence holds iff some addtocart is strictly later than the earliest view, i.e.
-- the latest addtocart is later than the earliest view.
WITH g AS MATERIALIZED (
  SELECT visitorid, count(*) AS n FROM read_parquet({files})
  GROUP BY visitorid
  HAVING max("timestamp") FILTER (WHERE event = 'addtocart')
           > min("timestamp") FILTER (WHERE event = 'view')
     AND (count(*) FILTER (WHERE event = 'view') >= 5
          OR count(*) FILTER (WHERE price > 900) >= 1))
SELECT 'query.matchingGroups' AS path, '' AS key, count(*) AS value FROM g
UNION ALL SELECT 'query.matchingGroupRows', '', sum(n) FROM g
