-- One row per sender (a person, a bot, or a channel or group posting as itself): what they sent and received, when.
WITH
message_cte AS (
  SELECT
    update_id,
    chat_id,
    message_id,
    context_date,
    text,
    reply_to_message_id,
    user_id,
    user_first_name,
    user_username,
    sent_as_chat_id AS sender_chat_id,
    sender_kind,
    sender_name,
    CASE
      WHEN chat_type IN ('channel', 'supergroup') AND chat_username IS NOT NULL
        THEN 'https://t.me/' || chat_username || '/' || CAST(message_id AS VARCHAR)
    END AS message_link
  FROM telegram
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
  SELECT
    chat_id,
    message_id,
    count(1) AS reaction_amount
  FROM added_reaction_cte
  GROUP BY
    chat_id,
    message_id
),
reply_cte AS (
  SELECT
    chat_id,
    reply_to_message_id AS message_id,
    count(1) AS reply_amount
  FROM telegram
  WHERE reply_to_message_id IS NOT NULL
  GROUP BY
    chat_id,
    reply_to_message_id
)
SELECT
  m.user_id,
  max_by(m.user_first_name, m.update_id) FILTER (WHERE m.user_first_name IS NOT NULL) AS user_first_name,
  m.sender_chat_id,
  max_by(m.sender_kind, m.update_id) FILTER (WHERE m.sender_kind IS NOT NULL) AS sender_kind,
  max_by(m.sender_name, m.update_id) FILTER (WHERE m.sender_name IS NOT NULL) AS sender_name,
  max_by(m.user_username, m.update_id) FILTER (WHERE m.user_username IS NOT NULL) AS user_username,
  count(1) AS message_amount,
  count(m.text) AS text_message_amount,
  CAST(round(avg(length(m.text))) AS INTEGER) AS average_message_length,
  count(m.reply_to_message_id) AS reply_amount,
  COALESCE(sum(rp.reply_amount), 0) AS received_reply_amount,
  COALESCE(sum(r.reaction_amount), 0) AS received_reaction_amount,
  count(DISTINCT m.context_date) AS active_days,
  min(m.context_date) AS first_seen_date,
  max(m.context_date) AS last_seen_date,
  max_by(m.message_link, m.update_id) FILTER (WHERE m.message_link IS NOT NULL) AS latest_message_link
FROM message_cte AS m
LEFT JOIN reaction_cte AS r
  ON r.chat_id = m.chat_id
  AND r.message_id = m.message_id
LEFT JOIN reply_cte AS rp
  ON rp.chat_id = m.chat_id
  AND rp.message_id = m.message_id
GROUP BY
  m.user_id,
  m.sender_chat_id
ORDER BY
  message_amount DESC,
  m.user_id NULLS LAST,
  m.sender_chat_id NULLS LAST
