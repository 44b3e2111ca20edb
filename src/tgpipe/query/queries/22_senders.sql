-- One row per sender (a person, a bot, or a channel or group posting as itself): what they sent and received, when.
WITH
message_cte AS (
  SELECT
    message_order,
    chat_id,
    chat_type,
    message_id,
    source,
    context_date,
    text,
    replied_to_message_id,
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
  WHERE is_content
),
reaction_cte AS (
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
reply_cte AS (
  SELECT
    chat_id,
    source,
    replied_to_message_id AS message_id,
    count(1) AS reply_amount
  FROM message_cte
  WHERE replied_to_message_id IS NOT NULL
  GROUP BY
    chat_id,
    source,
    replied_to_message_id
),
received_cte AS (
  SELECT
    m.chat_id,
    m.message_id,
    m.source,
    sum(rp.reply_amount) AS reply_amount
  FROM message_cte AS m
  JOIN reply_cte AS rp
    ON rp.chat_id = m.chat_id
    AND rp.message_id = m.message_id
    AND (m.chat_type IN ('supergroup', 'channel') OR COALESCE(rp.source, 'bot') = COALESCE(m.source, 'bot'))
  GROUP BY
    m.chat_id,
    m.message_id,
    m.source
)
SELECT
  m.user_id,
  max_by(m.user_first_name, m.message_order) FILTER (WHERE m.user_first_name IS NOT NULL) AS user_first_name,
  m.sender_chat_id,
  max_by(m.sender_kind, m.message_order) FILTER (WHERE m.sender_kind IS NOT NULL) AS sender_kind,
  max_by(m.sender_name, m.message_order) FILTER (WHERE m.sender_name IS NOT NULL) AS sender_name,
  max_by(m.user_username, m.message_order) FILTER (WHERE m.user_username IS NOT NULL) AS user_username,
  count(1) AS message_amount,
  count(m.text) AS text_message_amount,
  CAST(round(avg(length(m.text))) AS INTEGER) AS average_message_length,
  count(m.replied_to_message_id) AS reply_amount,
  COALESCE(sum(rc.reply_amount), 0) AS received_reply_amount,
  COALESCE(sum(r.reaction_amount), 0) AS received_reaction_amount,
  count(DISTINCT m.context_date) AS active_days,
  min(m.context_date) AS first_seen_date,
  max(m.context_date) AS last_seen_date,
  max_by(m.message_link, m.message_order) FILTER (WHERE m.message_link IS NOT NULL) AS latest_message_link
FROM message_cte AS m
LEFT JOIN reaction_cte AS r
  ON r.chat_id = m.chat_id
  AND r.message_id = m.message_id
LEFT JOIN received_cte AS rc
  ON rc.chat_id = m.chat_id
  AND rc.message_id = m.message_id
  AND COALESCE(rc.source, 'bot') = COALESCE(m.source, 'bot')
GROUP BY
  m.user_id,
  m.sender_chat_id
ORDER BY
  message_amount DESC,
  m.user_id NULLS LAST,
  m.sender_chat_id NULLS LAST
