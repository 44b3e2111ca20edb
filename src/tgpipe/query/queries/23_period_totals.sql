-- Totals of the days read: messages, active days, people, bots and chats that posted, replies, edits, reactions, joins, leaves, messages imported from exports.
WITH
message_cte AS (
  SELECT
    count(1) AS message_amount,
    count(DISTINCT context_date) AS active_days,
    count(DISTINCT CASE WHEN sender_kind = 'person' THEN user_id END) AS person_amount,
    count(DISTINCT CASE WHEN sender_kind = 'bot' THEN user_id END) AS bot_amount,
    count(DISTINCT sent_as_chat_id) AS chat_sender_amount,
    count(text) AS text_message_amount,
    count(reply_to_message_id) AS reply_amount,
    count(1) FILTER (WHERE update_type = 'message' AND message_type = 'left_chat_member') AS left_amount,
    min(context_date) AS first_day,
    max(context_date) AS last_day,
    count(1) FILTER (WHERE source = 'desktop_export') AS imported_amount
  FROM telegram
),
joined_cte AS (
  SELECT count(1) AS joined_amount
  FROM telegram
  CROSS JOIN UNNEST(new_chat_member_ids) AS t (member_id)
  WHERE update_type = 'message'
),
edit_cte AS (
  SELECT count(1) AS edit_amount
  FROM telegram_updates
  WHERE update_type IN ('edited_message', 'edited_channel_post', 'edited_business_message')
),
added_reaction_cte AS (
  SELECT
    update_id,
    chat_id,
    message_id,
    user_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(added_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
),
reaction_cte AS (
  SELECT count(1) AS reaction_amount
  FROM added_reaction_cte
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
  m.imported_amount
FROM message_cte AS m
CROSS JOIN joined_cte AS j
CROSS JOIN edit_cte AS e
CROSS JOIN reaction_cte AS r
