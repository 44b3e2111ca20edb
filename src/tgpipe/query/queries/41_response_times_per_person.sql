-- Replies and response time per sender (sender_id): their messages answered by someone else and the seconds to the first such reply (median), their own replies to others' messages and how long they took (exact median and 90th percentile over every such reply), and their questions left without an answer within answer_within_seconds (too recent ones aside).
WITH
params AS (
  SELECT 3600 AS answer_within_seconds
),
message_cte AS (
  SELECT
    chat_id,
    numbered_by,
    message_id,
    date,
    sender_id,
    replied_to_message_id,
    is_question
  FROM telegram
  WHERE is_content
    AND date IS NOT NULL
),
reply_cte AS (
  SELECT
    m.chat_id,
    m.numbered_by,
    m.message_id,
    m.sender_id,
    r.sender_id AS replier_id,
    r.date - m.date AS delay_seconds
  FROM message_cte AS m
  JOIN message_cte AS r
    ON r.chat_id = m.chat_id
    AND r.numbered_by = m.numbered_by
    AND r.replied_to_message_id = m.message_id
  WHERE r.replied_to_message_id IS NOT NULL
    AND r.sender_id <> m.sender_id
),
first_reply_cte AS (
  SELECT
    chat_id,
    numbered_by,
    message_id,
    sender_id,
    min(delay_seconds) AS delay_seconds
  FROM reply_cte
  GROUP BY
    chat_id,
    numbered_by,
    message_id,
    sender_id
),
received_cte AS (
  SELECT
    sender_id,
    delay_seconds,
    row_number() OVER (PARTITION BY sender_id ORDER BY delay_seconds) - 1 AS i,
    count(1) OVER (PARTITION BY sender_id) AS n
  FROM first_reply_cte
),
received_delay_cte AS (
  SELECT
    sender_id,
    count(1) AS replied_message_amount,
    CAST(sum(CASE
      WHEN 2 * i <= (n - 1) AND (n - 1) < 2 * (i + 1) THEN delay_seconds * (2 - (n - 1) % 2)
      WHEN 2 * (i - 1) <= (n - 1) AND (n - 1) < 2 * i THEN delay_seconds * ((n - 1) % 2)
    END) AS DOUBLE) / 2 AS median_first_reply_seconds
  FROM received_cte
  GROUP BY sender_id
),
given_cte AS (
  SELECT
    replier_id,
    delay_seconds,
    row_number() OVER (PARTITION BY replier_id ORDER BY delay_seconds) - 1 AS i,
    count(1) OVER (PARTITION BY replier_id) AS n
  FROM reply_cte
),
given_delay_cte AS (
  SELECT
    replier_id,
    count(1) AS reply_amount,
    CAST(sum(CASE
      WHEN 2 * i <= (n - 1) AND (n - 1) < 2 * (i + 1) THEN delay_seconds * (2 - (n - 1) % 2)
      WHEN 2 * (i - 1) <= (n - 1) AND (n - 1) < 2 * i THEN delay_seconds * ((n - 1) % 2)
    END) AS DOUBLE) / 2 AS median_reply_seconds,
    CAST(sum(CASE
      WHEN 10 * i <= (9 * (n - 1)) AND (9 * (n - 1)) < 10 * (i + 1) THEN delay_seconds * (10 - (9 * (n - 1)) % 10)
      WHEN 10 * (i - 1) <= (9 * (n - 1)) AND (9 * (n - 1)) < 10 * i THEN delay_seconds * ((9 * (n - 1)) % 10)
    END) AS DOUBLE) / 10 AS p90_reply_seconds
  FROM given_cte
  GROUP BY replier_id
),
data_end_cte AS (
  SELECT max(date) AS data_end
  FROM message_cte
),
question_cte AS (
  SELECT
    m.sender_id,
    count(1) AS question_amount,
    count(1) FILTER (
      WHERE (f.delay_seconds IS NULL OR f.delay_seconds > p.answer_within_seconds)
        AND m.date + p.answer_within_seconds <= e.data_end
    ) AS unanswered_question_amount
  FROM message_cte AS m
  CROSS JOIN params AS p
  CROSS JOIN data_end_cte AS e
  LEFT JOIN first_reply_cte AS f
    ON f.chat_id = m.chat_id
    AND f.numbered_by = m.numbered_by
    AND f.message_id = m.message_id
  WHERE m.is_question
  GROUP BY m.sender_id
),
sender_cte AS (
  SELECT
    sender_id,
    max_by(sender_kind, message_order) FILTER (WHERE sender_kind IS NOT NULL) AS sender_kind,
    max_by(sender_name, message_order) FILTER (WHERE sender_name IS NOT NULL) AS sender_name,
    count(1) AS message_amount
  FROM telegram
  WHERE is_content
    AND sender_id IS NOT NULL
  GROUP BY sender_id
)
SELECT
  s.sender_id,
  s.sender_kind,
  s.sender_name,
  s.message_amount,
  COALESCE(rd.replied_message_amount, 0) AS replied_message_amount,
  rd.median_first_reply_seconds,
  COALESCE(gd.reply_amount, 0) AS reply_amount,
  gd.median_reply_seconds,
  gd.p90_reply_seconds,
  COALESCE(q.question_amount, 0) AS question_amount,
  COALESCE(q.unanswered_question_amount, 0) AS unanswered_question_amount
FROM sender_cte AS s
LEFT JOIN received_delay_cte AS rd
  ON rd.sender_id = s.sender_id
LEFT JOIN given_delay_cte AS gd
  ON gd.replier_id = s.sender_id
LEFT JOIN question_cte AS q
  ON q.sender_id = s.sender_id
ORDER BY
  s.message_amount DESC,
  s.sender_id
