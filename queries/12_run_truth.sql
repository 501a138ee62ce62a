-- run_truth: the one ground truth each run is judged against: its own, when its log carried one (items or
-- actions of scope 'run'), else its scenario's from the catalog; runs with neither get a NULL key and no labels
-- beyond their outcome row.
-- Input: runs, items, actions. Output: run_id, scenario_id, truth_key.
WITH own AS (
  SELECT run_id FROM items WHERE scope = 'run'
  UNION
  SELECT run_id FROM actions WHERE scope = 'run'
)
SELECT r.run_id,
       r.scenario_id,
       CASE
         WHEN o.run_id IS NOT NULL THEN concat('run:', r.run_id)
         WHEN r.scenario_id IS NOT NULL THEN concat('scenario:', r.scenario_id)
       END AS truth_key
FROM runs r
LEFT JOIN own o ON o.run_id = r.run_id
