-- Replies and response time per chat: messages answered by someone else (a reply in the chat from another sender), seconds to the first such reply (exact median and 90th percentile), and questions (is_question) answered within answer_within_seconds, unanswered, or too recent to tell; a reply to a message before the scope is not seen.
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
first_reply_cte AS (
  SELECT
    m.chat_id,
    m.numbered_by,
    m.message_id,
    min(r.date - m.date) AS delay_seconds
  FROM message_cte AS m
  JOIN message_cte AS r
    ON r.chat_id = m.chat_id
    AND r.numbered_by = m.numbered_by
    AND r.replied_to_message_id = m.message_id
  WHERE r.replied_to_message_id IS NOT NULL
    AND r.sender_id <> m.sender_id
  GROUP BY
    m.chat_id,
    m.numbered_by,
    m.message_id
),
ranked_cte AS (
  SELECT
    chat_id,
    delay_seconds,
    row_number() OVER (PARTITION BY chat_id ORDER BY delay_seconds) - 1 AS i,
    count(1) OVER (PARTITION BY chat_id) AS n
  FROM first_reply_cte
),
delay_cte AS (
  SELECT
    chat_id,
    CAST(sum(CASE
      WHEN 2 * i <= (n - 1) AND (n - 1) < 2 * (i + 1) THEN delay_seconds * (2 - (n - 1) % 2)
      WHEN 2 * (i - 1) <= (n - 1) AND (n - 1) < 2 * i THEN delay_seconds * ((n - 1) % 2)
    END) AS DOUBLE) / 2 AS median_first_reply_seconds,
    CAST(sum(CASE
      WHEN 10 * i <= (9 * (n - 1)) AND (9 * (n - 1)) < 10 * (i + 1) THEN delay_seconds * (10 - (9 * (n - 1)) % 10)
      WHEN 10 * (i - 1) <= (9 * (n - 1)) AND (9 * (n - 1)) < 10 * i THEN delay_seconds * ((9 * (n - 1)) % 10)
    END) AS DOUBLE) / 10 AS p90_first_reply_seconds
  FROM ranked_cte
  GROUP BY chat_id
),
data_end_cte AS (
  SELECT max(date) AS data_end
  FROM message_cte
),
question_cte AS (
  SELECT
    m.chat_id,
    CASE
      WHEN f.delay_seconds <= p.answer_within_seconds THEN 'answered'
      WHEN m.date + p.answer_within_seconds > e.data_end THEN 'pending'
      ELSE 'unanswered'
    END AS answer_status
  FROM message_cte AS m
  CROSS JOIN params AS p
  CROSS JOIN data_end_cte AS e
  LEFT JOIN first_reply_cte AS f
    ON f.chat_id = m.chat_id
    AND f.numbered_by = m.numbered_by
    AND f.message_id = m.message_id
  WHERE m.is_question
),
question_amount_cte AS (
  SELECT
    chat_id,
    count(1) AS question_amount,
    count(1) FILTER (WHERE answer_status = 'answered') AS answered_question_amount,
    count(1) FILTER (WHERE answer_status = 'unanswered') AS unanswered_question_amount,
    count(1) FILTER (WHERE answer_status = 'pending') AS pending_question_amount
  FROM question_cte
  GROUP BY chat_id
),
replied_amount_cte AS (
  SELECT
    chat_id,
    count(1) AS replied_message_amount
  FROM first_reply_cte
  GROUP BY chat_id
),
chat_cte AS (
  SELECT
    chat_id,
    count(1) AS message_amount
  FROM message_cte
  GROUP BY chat_id
),
title_cte AS (
  SELECT
    chat_id,
    max_by(chat_title, message_order) FILTER (WHERE chat_title IS NOT NULL) AS chat_title
  FROM telegram
  GROUP BY chat_id
)
SELECT
  c.chat_id,
  t.chat_title,
  c.message_amount,
  COALESCE(r.replied_message_amount, 0) AS replied_message_amount,
  round(CAST(COALESCE(r.replied_message_amount, 0) AS DOUBLE) * 1000 / c.message_amount) / 10 AS replied_percent,
  d.median_first_reply_seconds,
  d.p90_first_reply_seconds,
  COALESCE(q.question_amount, 0) AS question_amount,
  COALESCE(q.answered_question_amount, 0) AS answered_question_amount,
  COALESCE(q.unanswered_question_amount, 0) AS unanswered_question_amount,
  COALESCE(q.pending_question_amount, 0) AS pending_question_amount
FROM chat_cte AS c
LEFT JOIN replied_amount_cte AS r
  ON r.chat_id = c.chat_id
LEFT JOIN question_amount_cte AS q
  ON q.chat_id = c.chat_id
LEFT JOIN delay_cte AS d
  ON d.chat_id = c.chat_id
LEFT JOIN title_cte AS t
  ON t.chat_id = c.chat_id
ORDER BY
  c.message_amount DESC,
  c.chat_id
