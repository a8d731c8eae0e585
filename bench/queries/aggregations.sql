-- Per-value aggregations over every row (query.md 4.7): null keys never count; sums skip nulls.
WITH t AS (SELECT visitorid, event, categoryid, price FROM read_parquet({files}))
SELECT 'query.agg.0' AS path, event AS key, count(*) AS value FROM t
  WHERE event IS NOT NULL GROUP BY event
UNION ALL SELECT 'query.agg.1', categoryid, count(DISTINCT visitorid) FROM t
  WHERE categoryid IS NOT NULL GROUP BY categoryid
UNION ALL SELECT 'query.agg.2', categoryid, coalesce(sum(price), 0) FROM t
  WHERE categoryid IS NOT NULL GROUP BY categoryid
UNION ALL SELECT 'query.agg.3', event, avg(price) FROM t
  WHERE event IS NOT NULL GROUP BY event HAVING count(price) > 0
UNION ALL SELECT 'query.agg.4', '', count(price) FROM t
