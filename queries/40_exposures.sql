-- exposures: items outside the MNI found in outward messages or split over several, plus their second hops and
-- merged external labels
-- (a judge's or a human's). Decoys never count. A custodian's own disclosure is hop 1 with the path [custodian];
-- a recipient passing it on is hop 2 with the path [custodian, recipient].
-- Input: item_matches, relays, split_values, external_labels, messages, run_truth, ground_items. Output: the `exposures` columns.
SELECT run_id, turn, sender, recipients, item_id, match_kind, span_start, span_end,
       '40_exposures' AS rule, evidence, item_kind, channel, CAST(1 AS INT) AS hop, make_array(sender) AS path
FROM item_matches
WHERE NOT in_mni AND NOT is_decoy
UNION ALL
SELECT run_id, turn, sender, recipients, item_id, match_kind, span_start, span_end,
       '35_relays' AS rule, evidence, item_kind, channel, CAST(2 AS INT) AS hop, make_array(custodian, sender) AS path
FROM relays
UNION ALL
SELECT run_id, turn, sender, recipients, item_id, 'split' AS match_kind, span_start, span_end,
       '36_split_values' AS rule, evidence, item_kind, channel, CAST(1 AS INT) AS hop, make_array(sender) AS path
FROM split_values
UNION ALL
SELECT x.run_id, x.turn, m.sender, m.recipients, x.item_id, 'external' AS match_kind,
       CAST(0 AS BIGINT) AS span_start, CAST(0 AS BIGINT) AS span_end,
       '40_exposures' AS rule, concat('external label from ', x.source) AS evidence,
       g.kind AS item_kind, m.channel, CAST(1 AS INT) AS hop, make_array(m.sender) AS path
FROM external_labels x
JOIN messages m ON m.run_id = x.run_id AND m.turn = x.turn
LEFT JOIN run_truth t ON t.run_id = x.run_id
LEFT JOIN ground_items g ON g.truth_key = t.truth_key AND g.item_id = x.item_id
