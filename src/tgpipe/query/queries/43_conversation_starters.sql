-- Who starts and who ends conversations (a chat's messages split where the silence exceeds gap_seconds), per sender: conversations taken part in, started (sent the first message), started and answered (someone else joined) and ended (sent the last message).
WITH
params AS (
  SELECT 1800 AS gap_seconds
),
message_cte AS (
  SELECT
    chat_id,
    numbered_by,
    message_id,
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
      WHEN m.date - lag(m.date) OVER (PARTITION BY m.chat_id ORDER BY m.date, m.message_id, m.numbered_by) <= p.gap_seconds THEN 0
      ELSE 1
    END AS starts_conversation,
    CASE
      WHEN lead(m.date) OVER (PARTITION BY m.chat_id ORDER BY m.date, m.message_id, m.numbered_by) - m.date <= p.gap_seconds THEN 0
      ELSE 1
    END AS ends_conversation
  FROM message_cte AS m
  CROSS JOIN params AS p
),
place_cte AS (
  SELECT
    g.*,
    sum(g.starts_conversation) OVER (
      PARTITION BY g.chat_id
      ORDER BY g.date
      RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS conversation_number
  FROM gap_cte AS g
),
role_in_cte AS (
  SELECT
    chat_id,
    conversation_number,
    sender_id,
    max(starts_conversation) AS started,
    max(ends_conversation) AS ended
  FROM place_cte
  WHERE sender_id IS NOT NULL
  GROUP BY
    chat_id,
    conversation_number,
    sender_id
),
counted_cte AS (
  SELECT
    r.*,
    count(1) OVER (PARTITION BY r.chat_id, r.conversation_number) AS sender_amount
  FROM role_in_cte AS r
),
role_cte AS (
  SELECT
    sender_id,
    count(1) AS conversation_amount,
    sum(started) AS started_amount,
    count(1) FILTER (WHERE started = 1 AND sender_amount >= 2) AS started_and_answered_amount,
    sum(ended) AS ended_amount
  FROM counted_cte
  GROUP BY sender_id
),
name_cte AS (
  SELECT
    sender_id,
    max_by(sender_kind, message_order) FILTER (WHERE sender_kind IS NOT NULL) AS sender_kind,
    max_by(sender_name, message_order) FILTER (WHERE sender_name IS NOT NULL) AS sender_name
  FROM telegram
  WHERE is_content
    AND sender_id IS NOT NULL
  GROUP BY sender_id
)
SELECT
  r.sender_id,
  n.sender_kind,
  n.sender_name,
  r.conversation_amount,
  r.started_amount,
  r.started_and_answered_amount,
  r.ended_amount
FROM role_cte AS r
LEFT JOIN name_cte AS n
  ON n.sender_id = r.sender_id
ORDER BY
  r.started_amount DESC,
  r.conversation_amount DESC,
  r.sender_id
