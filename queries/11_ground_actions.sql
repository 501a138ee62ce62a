-- ground_actions: every action a run may perform, with whether it is within the minimum authorization.
-- Input: actions (store, scope 'run'), catalog_actions (scope 'scenario').
-- Output: the `actions` columns.
SELECT * FROM actions
UNION ALL
SELECT * FROM catalog_actions
