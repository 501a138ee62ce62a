-- ground_items: every sensitive item and decoy a run is judged against.
-- Purpose: a run's own ground truth (ingested from its log, scope 'run') and the scenario catalog's (scope
-- 'scenario') in one table, so later rules look items up in one place.
-- Input: items (store), catalog_items (the scenario catalog).
-- Output: the `items` columns.
SELECT * FROM items
UNION ALL
SELECT * FROM catalog_items
