-- Conversations per chat and the day they started: a chat's messages split where the silence between two exceeds gap_seconds (exactly the gap stays one conversation); how many, their messages (exact median, most), their length in seconds (exact median), their senders (average) and how many had two senders or more.
WITH
params AS (
  SELECT 1800 AS gap_seconds
),
message_cte AS (
  SELECT
    chat_id,
    numbered_by,
    message_id,
    context_date,
    date,
    sender_id
  FROM telegram
  WHERE is_content
    AND date IS NOT NULL
),
gap_cte AS (
  SELECT
    m.*,
    CASE
      WHEN m.date - lag(m.date) OVER (PARTITION BY m.chat_id ORDER BY m.date) <= p.gap_seconds THEN 0
      ELSE 1
    END AS starts_conversation
  FROM message_cte AS m
  CROSS JOIN params AS p
),
numbered_cte AS (
  SELECT
    g.*,
    sum(g.starts_conversation) OVER (
      PARTITION BY g.chat_id
      ORDER BY g.date
      RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS conversation_number
  FROM gap_cte AS g
),
by_sender_cte AS (
  SELECT
    chat_id,
    conversation_number,
    sender_id,
    count(1) AS message_amount,
    min(context_date) AS start_day,
    min(date) AS first_date,
    max(date) AS last_date
  FROM numbered_cte
  GROUP BY
    chat_id,
    conversation_number,
    sender_id
),
conversation_cte AS (
  SELECT
    chat_id,
    conversation_number,
    min(start_day) AS start_day,
    sum(message_amount) AS message_amount,
    max(last_date) - min(first_date) AS duration_seconds,
    count(sender_id) AS sender_amount
  FROM by_sender_cte
  GROUP BY
    chat_id,
    conversation_number
),
ranked_cte AS (
  SELECT
    c.*,
    row_number() OVER (PARTITION BY c.chat_id, c.start_day ORDER BY c.message_amount) - 1 AS i_messages,
    row_number() OVER (PARTITION BY c.chat_id, c.start_day ORDER BY c.duration_seconds) - 1 AS i_duration,
    count(1) OVER (PARTITION BY c.chat_id, c.start_day) AS n
  FROM conversation_cte AS c
),
title_cte AS (
  SELECT
    chat_id,
    max_by(chat_title, message_order) FILTER (WHERE chat_title IS NOT NULL) AS chat_title
  FROM telegram
  GROUP BY chat_id
)
SELECT
  r.start_day AS context_date,
  r.chat_id,
  max(t.chat_title) AS chat_title,
  count(1) AS conversation_amount,
  sum(r.message_amount) AS message_amount,
  CAST(sum(CASE
    WHEN 2 * r.i_messages <= (r.n - 1) AND (r.n - 1) < 2 * (r.i_messages + 1) THEN r.message_amount * (2 - (r.n - 1) % 2)
    WHEN 2 * (r.i_messages - 1) <= (r.n - 1) AND (r.n - 1) < 2 * r.i_messages THEN r.message_amount * ((r.n - 1) % 2)
  END) AS DOUBLE) / 2 AS median_message_amount,
  max(r.message_amount) AS max_message_amount,
  CAST(sum(CASE
    WHEN 2 * r.i_duration <= (r.n - 1) AND (r.n - 1) < 2 * (r.i_duration + 1) THEN r.duration_seconds * (2 - (r.n - 1) % 2)
    WHEN 2 * (r.i_duration - 1) <= (r.n - 1) AND (r.n - 1) < 2 * r.i_duration THEN r.duration_seconds * ((r.n - 1) % 2)
  END) AS DOUBLE) / 2 AS median_duration_seconds,
  round(CAST(sum(r.sender_amount) AS DOUBLE) * 10 / count(1)) / 10 AS average_sender_amount,
  count(1) FILTER (WHERE r.sender_amount >= 2) AS multi_sender_conversation_amount
FROM ranked_cte AS r
LEFT JOIN title_cte AS t
  ON t.chat_id = r.chat_id
GROUP BY
  r.start_day,
  r.chat_id
ORDER BY
  context_date DESC,
  r.chat_id
