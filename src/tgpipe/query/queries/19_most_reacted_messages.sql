-- Messages by the reactions added to them: who sent them, how their text starts, and a t.me link in public chats.
WITH
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
    sent_as_chat_id AS sender_chat_id,
    sender_kind,
    sender_name,
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
