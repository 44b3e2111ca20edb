-- Each sender's 5 most distinctive terms (used in at least 2 of their messages, by how much more often than in the chats' other messages).
WITH
message_cte AS (
  SELECT
    chat_id,
    message_id,
    source,
    message_order,
    user_id,
    sent_as_chat_id AS sender_chat_id,
    sender_name,
    terms
  FROM telegram
  WHERE is_content
    AND terms IS NOT NULL
),
term_cte AS (
  SELECT DISTINCT
    m.chat_id,
    m.message_id,
    m.source,
    m.user_id,
    m.sender_chat_id,
    t.term
  FROM message_cte AS m
  CROSS JOIN UNNEST(m.terms) AS t (term)
),
sender_cte AS (
  SELECT
    user_id,
    sender_chat_id,
    max_by(sender_name, message_order) FILTER (WHERE sender_name IS NOT NULL) AS sender_name,
    count(1) AS sender_message_amount
  FROM message_cte
  GROUP BY
    user_id,
    sender_chat_id
),
total_cte AS (
  SELECT count(1) AS all_message_amount
  FROM message_cte
),
everyone_cte AS (
  SELECT
    term,
    count(1) AS all_term_amount
  FROM term_cte
  GROUP BY term
),
used_cte AS (
  SELECT
    user_id,
    sender_chat_id,
    term,
    count(1) AS message_amount
  FROM term_cte
  GROUP BY
    user_id,
    sender_chat_id,
    term
),
score_cte AS (
  SELECT
    u.user_id,
    u.sender_chat_id,
    s.sender_name,
    u.term,
    u.message_amount,
    e.all_term_amount AS chat_message_amount,
    CAST(u.message_amount AS DOUBLE) * n.all_message_amount
      / (CAST(e.all_term_amount AS DOUBLE) * s.sender_message_amount) AS lift
  FROM used_cte AS u
  JOIN everyone_cte AS e
    ON e.term = u.term
  JOIN sender_cte AS s
    ON COALESCE(s.user_id, 0) = COALESCE(u.user_id, 0)
    AND COALESCE(s.sender_chat_id, 0) = COALESCE(u.sender_chat_id, 0)
  CROSS JOIN total_cte AS n
  WHERE u.message_amount >= 2
),
ranked_cte AS (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY user_id, sender_chat_id
      ORDER BY lift DESC, message_amount DESC, term
    ) AS term_rank
  FROM score_cte
  WHERE lift > 1
)
SELECT
  user_id,
  sender_chat_id,
  sender_name,
  term_rank,
  term,
  message_amount,
  chat_message_amount,
  CAST(round(lift * 10) AS BIGINT) AS lift_tenths
FROM ranked_cte
WHERE term_rank <= 5
ORDER BY
  user_id NULLS LAST,
  sender_chat_id NULLS LAST,
  term_rank
