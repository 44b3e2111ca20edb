-- Two-word phrases (two terms side by side in a message, stop words left out between them) used in at least 2 messages, by how many messages use them.
WITH
phrase_cte AS (
  SELECT DISTINCT
    m.chat_id,
    m.message_id,
    m.source,
    m.user_id,
    m.context_date,
    a.term || ' ' || b.term AS phrase
  FROM telegram AS m
  CROSS JOIN UNNEST(m.terms) WITH ORDINALITY AS a (term, term_position)
  CROSS JOIN UNNEST(m.terms) WITH ORDINALITY AS b (term, term_position)
  WHERE m.is_content
    AND b.term_position = a.term_position + 1
    AND a.term <> b.term
)
SELECT
  phrase,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount,
  min(context_date) AS first_used_date,
  max(context_date) AS last_used_date
FROM phrase_cte
GROUP BY phrase
HAVING count(1) >= 2
ORDER BY
  message_amount DESC,
  phrase
