-- outward_messages: what a custodian sent to another principal (agent, user, tool, memory): the only messages that
-- can expose an item or perform an action.
-- Policy: the sender is a custodian (marked so by the log, or named a custodian by the run's scenario); in a log
-- that records only generic roles (user/assistant: Inspect, tau-bench, CAMEL model logs), where no agent of the
-- run's scenario appears by name, the `assistant` speaks for the custodian; private reasoning (kind 'thought'),
-- system prompts and tool results are never outward; tool calls are outward (to the tool) and their arguments count
-- as text; a message addressed only to its own sender is a note, not outward; unknown recipients (an empty list)
-- count as outward.
-- Input: messages, run_truth, roles. Output: run_id, scenario_id, truth_key, turn, sender, recipients, channel,
-- kind, tool_name, content, tool_args.
-- Shape: everything a message is judged by about its run (truth, custodians, whether agents appear by name) is
-- gathered per run first, so the messages meet one join, whose condition keeps the text of outward ones only.
WITH named AS (
  SELECT DISTINCT m.run_id
  FROM messages m
  JOIN run_truth r ON r.run_id = m.run_id
  JOIN roles ro ON ro.scenario_id = r.scenario_id AND ro.agent = m.sender
),
custodians AS (
  SELECT scenario_id, array_agg(DISTINCT agent) AS agents FROM roles WHERE role = 'custodian' GROUP BY scenario_id
),
judged_runs AS (
  SELECT r.run_id, r.scenario_id, r.truth_key, n.run_id IS NOT NULL AS named, c.agents AS custodians
  FROM run_truth r
  LEFT JOIN named n ON n.run_id = r.run_id
  LEFT JOIN custodians c ON c.scenario_id = r.scenario_id
)
SELECT
  m.run_id,
  r.scenario_id,
  r.truth_key,
  m.turn,
  m.sender,
  m.recipients,
  m.channel,
  m.kind,
  m.tool_name,
  m.content,
  m.tool_args
FROM messages m
JOIN judged_runs r ON r.run_id = m.run_id
WHERE m.kind IN ('message', 'tool_call', 'handoff')
  AND (
    m.sender_role = 'custodian'
    OR array_has(r.custodians, m.sender)
    OR (m.sender = 'assistant' AND NOT r.named AND r.scenario_id IS NOT NULL)
  )
  AND (cardinality(m.recipients) = 0 OR NOT array_has_all(make_array(m.sender), m.recipients))
