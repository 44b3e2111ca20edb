-- Messages by the reactions added to them: who sent them, how their text starts, and a t.me link in public chats.
WITH
new_reaction_cte AS (
  SELECT
    update_id,
    chat_id,
    message_id,
    user_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(new_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
),
old_reaction_cte AS (
  SELECT
    update_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(old_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
),
added_reaction_cte AS (
  SELECT
    n.update_id,
    n.chat_id,
    n.message_id,
    n.user_id,
    n.reaction
  FROM new_reaction_cte AS n
  LEFT JOIN old_reaction_cte AS o
    ON o.update_id = n.update_id
    AND o.reaction = n.reaction
  WHERE o.update_id IS NULL
),
reacted_cte AS (
  SELECT
    chat_id,
    message_id,
    count(1) AS reaction_amount,
    count(DISTINCT user_id) AS user_amount
  FROM added_reaction_cte
  GROUP BY
    chat_id,
    message_id
),
message_cte AS (
  SELECT
    chat_id,
    message_id,
    context_date,
    chat_title,
    user_id,
    user_first_name,
    substr(COALESCE(text, caption), 1, 80) AS text_start,
    CASE
      WHEN sender_chat_id IS NOT NULL THEN sender_chat_id
      WHEN user_id IS NULL THEN chat_id
    END AS sender_chat_id,
    CASE
      WHEN sender_chat_id IS NOT NULL AND sender_chat_type = 'channel' THEN 'channel'
      WHEN sender_chat_id IS NOT NULL THEN 'group'
      WHEN user_id IS NULL AND chat_type = 'channel' THEN 'channel'
      WHEN user_id IS NULL THEN 'group'
      WHEN user_is_bot THEN 'bot'
      ELSE 'person'
    END AS sender_kind,
    CASE
      WHEN sender_chat_id IS NOT NULL THEN sender_chat_title
      WHEN user_id IS NULL THEN chat_title
      ELSE user_first_name
    END AS sender_name,
    CASE
      WHEN chat_type IN ('channel', 'supergroup') AND chat_username IS NOT NULL
        THEN 'https://t.me/' || chat_username || '/' || CAST(message_id AS VARCHAR)
    END AS message_link
  FROM telegram
)
SELECT
  r.chat_id,
  r.message_id,
  m.context_date,
  m.chat_title,
  m.user_id,
  m.user_first_name,
  m.sender_chat_id,
  m.sender_kind,
  m.sender_name,
  m.text_start,
  r.reaction_amount,
  r.user_amount,
  m.message_link
FROM reacted_cte AS r
JOIN message_cte AS m
  ON m.chat_id = r.chat_id
  AND m.message_id = r.message_id
ORDER BY
  r.reaction_amount DESC,
  r.user_amount DESC,
  m.context_date DESC,
  r.chat_id,
  r.message_id
