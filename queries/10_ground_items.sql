-- ground_items: every sensitive item and decoy a run is judged against, keyed by whose ground truth it is.
-- Purpose: a run's own ground truth (ingested from its log, scope 'run') and the scenario catalog's (scope
-- 'scenario') in one table with one key, `truth_key` ('run:<run_id>' or 'scenario:<scenario_id>'), so later rules
-- look an item up by the equality (truth_key, item_id) and never by an OR over scopes.
-- Input: items (store), catalog_items (the scenario catalog).
-- Output: the `items` columns and truth_key.
WITH all_items AS (
  SELECT * FROM items
  UNION ALL
  SELECT * FROM catalog_items
)
SELECT *,
       CASE WHEN scope = 'run' THEN concat('run:', run_id) ELSE concat('scenario:', scenario_id) END AS truth_key
FROM all_items
