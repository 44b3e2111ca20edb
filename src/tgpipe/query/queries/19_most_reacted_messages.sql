-- Messages by the reactions they got (the export's counts on imported messages, the bot's updates on its own): who sent them, how their text starts, and a t.me link in public chats.
WITH
tally_cte AS (
  SELECT
    chat_id,
    message_id,
    sum(tallied_reaction_amount) AS reaction_amount
  FROM telegram_updates
  WHERE tallied_reaction_amount IS NOT NULL
  GROUP BY
    chat_id,
    message_id
),
people_cte AS (
  SELECT
    chat_id,
    message_id,
    count(DISTINCT user_id) AS user_amount
  FROM telegram_updates
  WHERE update_type = 'message_reaction'
    AND added_reactions IS NOT NULL
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
  COALESCE(p.user_amount, 0) AS user_amount,
  m.message_link
FROM tally_cte AS r
JOIN message_cte AS m
  ON m.chat_id = r.chat_id
  AND m.message_id = r.message_id
LEFT JOIN people_cte AS p
  ON p.chat_id = r.chat_id
  AND p.message_id = r.message_id
WHERE r.reaction_amount > 0
ORDER BY
  r.reaction_amount DESC,
  user_amount DESC,
  m.context_date DESC,
  r.chat_id,
  r.message_id
