-- ground_actions: every action a run may perform, with whether it is within the minimum authorization, keyed by
-- whose ground truth it is (truth_key, as in ground_items).
-- Input: actions (store, scope 'run'), catalog_actions (scope 'scenario').
-- Output: the `actions` columns and truth_key.
WITH all_actions AS (
  SELECT * FROM actions
  UNION ALL
  SELECT * FROM catalog_actions
)
SELECT *,
       CASE WHEN scope = 'run' THEN concat('run:', run_id) ELSE concat('scenario:', scenario_id) END AS truth_key
FROM all_actions
