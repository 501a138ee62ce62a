-- policy_messages: under a deployment's secrets policy (`tvp label --policy`), every message an agent of a covered
-- run sent to someone (agent, user, tool; a tool call's arguments count as text) is judged against who may
-- receive what. Tool results, system prompts and private reasoning are not sent by an agent.
-- Input: messages, policy_items. Output: run_id, truth_key, turn, sender, recipients, channel, kind, content,
-- tool_args.
WITH covered AS (
  SELECT DISTINCT run_id, truth_key FROM policy_items
)
SELECT m.run_id, c.truth_key, m.turn, m.sender, m.recipients, m.channel, m.kind, m.content, m.tool_args
FROM covered c
JOIN messages m ON m.run_id = c.run_id
WHERE m.kind IN ('message', 'tool_call', 'handoff')
  AND coalesce(m.sender_role, '') <> 'tool'
