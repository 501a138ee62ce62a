-- exposures: items outside the MNI found in outward messages, plus merged external labels (a judge's or a
-- human's). Decoys never count.
-- Input: item_matches, external_labels, messages. Output: the `exposures` columns.
SELECT run_id, turn, sender, recipients, item_id, match_kind, span_start, span_end,
       '40_exposures' AS rule, evidence
FROM item_matches
WHERE NOT in_mni AND NOT is_decoy
UNION ALL
SELECT x.run_id, x.turn, m.sender, m.recipients, x.item_id, 'external' AS match_kind,
       CAST(0 AS BIGINT) AS span_start, CAST(0 AS BIGINT) AS span_end,
       '40_exposures' AS rule, concat('external label from ', x.source) AS evidence
FROM external_labels x
JOIN messages m ON m.run_id = x.run_id AND m.turn = x.turn
