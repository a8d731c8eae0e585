-- 3-step funnel: e_i = earliest matching timestamp strictly after e_{i-1} (query.md 4.5).
-- reach(g) = last step g passes; step i covers the groups with reach >= i, so per-step figures
-- are sums over reach levels (exact: every group has one level, distinct counts add up).
WITH t AS (SELECT visitorid, "timestamp" AS ts, event, categoryid FROM read_parquet({files})),
s0 AS MATERIALIZED (
  SELECT visitorid, min(ts) AS e0 FROM t WHERE event = 'view' GROUP BY visitorid),
s1 AS MATERIALIZED (
  SELECT t.visitorid, min(t.ts) AS e1 FROM t JOIN s0 ON t.visitorid = s0.visitorid
  WHERE t.event = 'addtocart' AND t.ts > s0.e0 GROUP BY t.visitorid),
s2 AS MATERIALIZED (
  SELECT DISTINCT t.visitorid FROM t JOIN s1 ON t.visitorid = s1.visitorid
  WHERE t.event = 'transaction' AND t.ts > s1.e1),
reach AS MATERIALIZED (
  SELECT s0.visitorid, (s1.visitorid IS NOT NULL)::INT + (s2.visitorid IS NOT NULL)::INT AS r
  FROM s0 LEFT JOIN s1 ON s0.visitorid = s1.visitorid LEFT JOIN s2 ON s0.visitorid = s2.visitorid),
j AS MATERIALIZED (SELECT r, event, categoryid, visitorid FROM t JOIN reach USING (visitorid)),
ev AS (SELECT r, event, count(*) AS c FROM j GROUP BY ALL),
cat AS (SELECT r, categoryid, count(*) AS g FROM (SELECT DISTINCT r, categoryid, visitorid FROM j) GROUP BY ALL),
tot AS (SELECT r, count(*) AS g FROM reach GROUP BY ALL),
steps AS (SELECT range AS step FROM range(3))
SELECT 'funnel.' || step || '.matchingGroups' AS path, '' AS key, sum(g) AS value FROM tot JOIN steps ON r >= step GROUP BY step
UNION ALL SELECT 'funnel.' || step || '.matchingGroupRows', '', sum(c) FROM ev JOIN steps ON r >= step GROUP BY step
UNION ALL SELECT 'funnel.' || step || '.agg.0', event, sum(c) FROM ev JOIN steps ON r >= step GROUP BY step, event
UNION ALL SELECT 'funnel.' || step || '.agg.1', categoryid, sum(g) FROM cat JOIN steps ON r >= step GROUP BY step, categoryid
