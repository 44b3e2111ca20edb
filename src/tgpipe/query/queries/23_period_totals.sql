-- Totals of the days read: messages, active days, people, bots and chats that posted, replies, edits, reactions, joins, leaves, imported messages, service events.
WITH
message_cte AS (
  SELECT
    count(1) FILTER (WHERE is_content) AS message_amount,
    count(DISTINCT CASE WHEN is_content THEN context_date END) AS active_days,
    count(DISTINCT CASE WHEN is_content AND sender_kind = 'person' THEN user_id END) AS person_amount,
    count(DISTINCT CASE WHEN is_content AND sender_kind = 'bot' THEN user_id END) AS bot_amount,
    count(DISTINCT CASE WHEN is_content THEN sent_as_chat_id END) AS chat_sender_amount,
    count(text) FILTER (WHERE is_content) AS text_message_amount,
    count(replied_to_message_id) FILTER (WHERE is_content) AS reply_amount,
    count(1) FILTER (WHERE update_type = 'message' AND message_type = 'left_chat_member') AS left_amount,
    min(context_date) FILTER (WHERE is_content) AS first_day,
    max(context_date) FILTER (WHERE is_content) AS last_day,
    count(1) FILTER (WHERE is_content AND source = 'desktop_export') AS imported_amount,
    count(1) FILTER (WHERE NOT is_content) AS service_event_amount
  FROM telegram
),
joined_cte AS (
  SELECT COALESCE(sum(new_chat_member_amount), 0) AS joined_amount
  FROM telegram
  WHERE update_type = 'message'
),
edit_update_cte AS (
  SELECT
    chat_id,
    message_id
  FROM telegram_updates
  WHERE update_type IN ('edited_message', 'edited_channel_post', 'edited_business_message')
),
edit_cte AS (
  SELECT count(1) AS edit_amount
  FROM edit_update_cte
),
edited_cte AS (
  SELECT
    count(1) FILTER (WHERE e.chat_id IS NOT NULL OR t.edit_date IS NOT NULL) AS edited_message_amount,
    count(1) FILTER (WHERE e.chat_id IS NULL AND t.edit_date IS NOT NULL) AS edit_count_unknown_amount
  FROM telegram AS t
  LEFT JOIN (SELECT DISTINCT chat_id, message_id FROM edit_update_cte) AS e
    ON e.chat_id = t.chat_id
    AND e.message_id = t.message_id
  WHERE t.is_content
),
reaction_cte AS (
  SELECT
    COALESCE(sum(tallied_reaction_amount), 0) AS reaction_amount,
    count(1) FILTER (WHERE update_type IN ('message_reaction', 'message_reaction_count') AND update_id IS NOT NULL) AS bot_reaction_update_amount
  FROM telegram_updates
),
person_reaction_cte AS (
  SELECT count(1) AS person_reaction_amount
  FROM telegram_updates
  CROSS JOIN UNNEST(added_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
)
SELECT
  m.message_amount,
  m.active_days,
  m.person_amount,
  m.bot_amount,
  m.chat_sender_amount,
  m.text_message_amount,
  m.reply_amount,
  e.edit_amount,
  r.reaction_amount,
  j.joined_amount,
  m.left_amount,
  m.first_day,
  m.last_day,
  m.imported_amount,
  d.edited_message_amount,
  d.edit_count_unknown_amount,
  p.person_reaction_amount,
  r.bot_reaction_update_amount,
  m.service_event_amount
FROM message_cte AS m
CROSS JOIN joined_cte AS j
CROSS JOIN edit_cte AS e
CROSS JOIN edited_cte AS d
CROSS JOIN reaction_cte AS r
CROSS JOIN person_reaction_cte AS p
