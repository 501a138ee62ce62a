-- task_success: whether the scenario's success condition holds in the run: its listed actions were performed
-- and/or its listed items were disclosed outward (MNI items included: disclosing them is the task), combined with
-- `require` = any or all. Runs without a known scenario get no row (task success unknown).
-- Input: runs, success_conditions, authorizations, item_matches. Output: run_id, task_success.
WITH done AS (
  SELECT DISTINCT run_id, 'action' AS kind, action AS ref FROM authorizations
  UNION ALL
  SELECT DISTINCT run_id, 'item' AS kind, item_id AS ref FROM item_matches
),
checks AS (
  SELECT r.run_id, c.require, d.run_id IS NOT NULL AS met
  FROM runs r
  JOIN success_conditions c ON c.scenario_id = r.scenario_id
  LEFT JOIN done d ON d.run_id = r.run_id AND d.kind = c.kind AND d.ref = c.ref
)
SELECT run_id,
       CASE WHEN max(require) = 'all' THEN bool_and(met) ELSE bool_or(met) END AS task_success
FROM checks
GROUP BY run_id
