-- Terms used more in the later half of the period than in the earlier half (in at least 3 messages of the later half), by how many more messages.
WITH
term_cte AS (
  SELECT DISTINCT
    chat_id,
    message_id,
    source,
    user_id,
    context_date,
    term
  FROM telegram
  CROSS JOIN UNNEST(terms) AS t (term)
  WHERE is_content
),
period_cte AS (
  SELECT
    min(context_date) AS first_date,
    max(context_date) AS last_date
  FROM telegram
  WHERE is_content
),
half_cte AS (
  SELECT
    t.term,
    t.user_id,
    2 * date_diff('day', p.first_date, t.context_date) > date_diff('day', p.first_date, p.last_date) AS is_later
  FROM term_cte AS t
  CROSS JOIN period_cte AS p
),
count_cte AS (
  SELECT
    term,
    count(1) FILTER (WHERE is_later) AS message_amount,
    count(1) FILTER (WHERE NOT is_later) AS previous_message_amount,
    count(DISTINCT CASE WHEN is_later THEN user_id END) AS user_amount
  FROM half_cte
  GROUP BY term
)
SELECT
  term,
  message_amount,
  previous_message_amount,
  message_amount - previous_message_amount AS change_amount,
  user_amount
FROM count_cte
WHERE message_amount >= 3
  AND message_amount > previous_message_amount
ORDER BY
  change_amount DESC,
  message_amount DESC,
  term
